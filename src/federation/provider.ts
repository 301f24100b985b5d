/**
 * An upstream identity provider: an OpenID Connect provider whose users may sign in here ("Continue with …"). The
 * entry format of PROVIDERS_FILE, which the admin API will take too. The sign-in flow itself is built on openid-client.
 */

/** Which upstream claims become what here, as RFC 6901 JSON pointers into the ID token's (and userinfo's) claims. */
export interface ClaimMapping {
  username: string;
  email: string;
  emailVerified: string;
}

/** An upstream OpenID provider, as validated. */
export interface UpstreamProvider {
  /** Its id here: in the callback path (`/login/<id>/callback`) and in every identity linked through it. */
  id: string;
  /** The name on its button ("Continue with <name>"). */
  name: string;
  /** Its issuer identifier; its metadata comes from discovery (OpenID Connect Discovery 1.0 §4). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scope asked for; always includes `openid`. */
  scope: string;
  /** An https URL of its icon, shown beside its name. */
  icon: string | undefined;
  /** Whether to read the userinfo endpoint too (its claims complete the ID token's). */
  userinfo: boolean;
  /** Whether a first sign-in makes an account just in time; when false, only accounts that linked the identity sign in. */
  createAccounts: boolean;
  /**
   * Whether an address the provider calls verified becomes a new account's verified address here (Keycloak's "trust
   * email"); never a reason to join accounts. Off by default: a provider may call addresses verified that nobody proved.
   */
  trustEmail: boolean;
  claims: ClaimMapping;
}

/** What is wrong with a provider entry: the message says it. */
export class ProviderEntryError extends Error {}

/** The longest provider id. */
export const PROVIDER_ID_MAX_LENGTH = 32;

/** A provider id: lower-case letters, digits and dashes, as a path segment reads well. */
export const PROVIDER_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

const RESERVED_IDS = new Set(['passkey', 'second-step']);
const KNOWN_FIELDS = new Set([
  'id',
  'name',
  'issuer',
  'client_id',
  'client_secret',
  'client_secret_env',
  'scope',
  'icon',
  'userinfo',
  'create_accounts',
  'trust_email',
  'claims',
]);
const DEFAULT_CLAIMS: ClaimMapping = { username: '/preferred_username', email: '/email', emailVerified: '/email_verified' };

function text(entry: Record<string, unknown>, field: string, max: number): string {
  const value = entry[field];
  if (typeof value !== 'string' || value.trim() === '' || value.length > max)
    throw new ProviderEntryError(`${field} must be a non-empty string of at most ${max} characters`);
  return value;
}

/** An RFC 6901 JSON pointer (`/a/b`, `~1` for `/`, `~0` for `~`), checked for shape. */
function pointer(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^(\/([^~/]|~[01])*)+$/.test(value) || value.length > 200) {
    throw new ProviderEntryError(`${field} must be a JSON pointer such as "/preferred_username"`);
  }
  return value;
}

/** The value a JSON pointer (RFC 6901) names in claims, or undefined. */
export function claimAt(claims: unknown, path: string): unknown {
  let current = claims;
  for (const token of path.slice(1).split('/')) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Validates one provider entry; throws a ProviderEntryError saying what is wrong. The client secret is given as it is
 * (`client_secret`: it must be sent upstream, so it cannot be kept hashed) or, better, as the name of an environment
 * variable holding it (`client_secret_env`), so the file holds no secret.
 */
export function parseProviderEntry(entry: unknown, env: Readonly<Record<string, string | undefined>> = process.env): UpstreamProvider {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ProviderEntryError('must be an object');
  const record = entry as Record<string, unknown>;
  const unknown = Object.keys(record).filter((field) => !KNOWN_FIELDS.has(field));
  if (unknown.length > 0) throw new ProviderEntryError(`has unknown fields: ${unknown.join(', ')}`);
  const id = text(record, 'id', 32);
  if (!PROVIDER_ID_PATTERN.test(id)) throw new ProviderEntryError('id must be lower-case letters, digits and dashes (at most 32)');
  // The login pages' own paths under /login/ cannot be a provider's.
  if (RESERVED_IDS.has(id)) throw new ProviderEntryError(`id ${id} is taken by the login pages`);
  const issuer = text(record, 'issuer', 2048);
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    throw new ProviderEntryError('issuer must be a URL');
  }
  // OpenID Connect Discovery 1.0 §2: an https URL with no query or fragment. Plain http only on loopback, for development and tests.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(issuerUrl.hostname);
  if ((issuerUrl.protocol !== 'https:' && !(issuerUrl.protocol === 'http:' && loopback)) || issuerUrl.search || issuerUrl.hash) {
    throw new ProviderEntryError('issuer must be an https URL without query or fragment');
  }
  const secret = clientSecret(record, env);
  const scope = text(record, 'scope', 1024).split(' ').filter(Boolean);
  if (!scope.includes('openid')) throw new ProviderEntryError('scope must include openid');
  const icon = record.icon === undefined ? undefined : text(record, 'icon', 2048);
  if (icon !== undefined && !icon.startsWith('https://')) throw new ProviderEntryError('icon must be an https URL');
  for (const flag of ['userinfo', 'create_accounts', 'trust_email']) {
    if (record[flag] !== undefined && typeof record[flag] !== 'boolean') throw new ProviderEntryError(`${flag} must be true or false`);
  }
  return {
    id,
    name: text(record, 'name', 64),
    issuer,
    clientId: text(record, 'client_id', 512),
    clientSecret: secret,
    scope: scope.join(' '),
    icon,
    userinfo: record.userinfo === true,
    createAccounts: record.create_accounts !== false,
    trustEmail: record.trust_email === true,
    claims: claimMapping(record.claims),
  };
}

function clientSecret(record: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): string {
  if ((record.client_secret === undefined) === (record.client_secret_env === undefined)) {
    throw new ProviderEntryError('needs client_secret or client_secret_env (the name of an environment variable), one of them');
  }
  if (record.client_secret !== undefined) return text(record, 'client_secret', 1024);
  const name = text(record, 'client_secret_env', 128);
  const value = env[name];
  if (value === undefined || value === '') throw new ProviderEntryError(`client_secret_env names ${name}, which is not set`);
  return value;
}

function claimMapping(value: unknown): ClaimMapping {
  if (value === undefined) return { ...DEFAULT_CLAIMS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProviderEntryError('claims must be an object');
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).filter((field) => !['username', 'email', 'email_verified'].includes(field));
  if (unknown.length > 0) throw new ProviderEntryError(`claims has unknown fields: ${unknown.join(', ')}`);
  return {
    username: given.username === undefined ? DEFAULT_CLAIMS.username : pointer(given.username, 'claims.username'),
    email: given.email === undefined ? DEFAULT_CLAIMS.email : pointer(given.email, 'claims.email'),
    emailVerified: given.email_verified === undefined ? DEFAULT_CLAIMS.emailVerified : pointer(given.email_verified, 'claims.email_verified'),
  };
}

/** The entries of a PROVIDERS_FILE, each validated; ids unique. A ProviderEntryError names the entry at fault. */
export function parseProviders(entries: unknown, env: Readonly<Record<string, string | undefined>> = process.env): UpstreamProvider[] {
  if (!Array.isArray(entries)) throw new ProviderEntryError('expected a JSON array of provider entries');
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    let provider: UpstreamProvider;
    try {
      provider = parseProviderEntry(entry, env);
    } catch (error) {
      if (!(error instanceof ProviderEntryError)) throw error;
      throw new ProviderEntryError(`entry ${index} ${error.message}`);
    }
    if (seen.has(provider.id)) throw new ProviderEntryError(`entry ${index}: id ${provider.id} appears twice`);
    seen.add(provider.id);
    return provider;
  });
}
