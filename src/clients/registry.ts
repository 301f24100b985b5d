import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { narrowedScope, scopeTokens } from '../tokens/scope.js';
import { DEVICE_CODE, TOKEN_EXCHANGE, type GrantType } from '../grants/grant-type.js';
import { clientKeysOf } from './client-keys.js';
import { supportedGrantTypes } from '../grants/registry.js';
import { DEFAULT_CLIENT_ENTRY, predates, type Client } from './client.js';
import { DISPLAY_FIELDS, parseClientDisplay } from './client-display.js';
import { redirectUriProblem } from './redirect-uri.js';
import { SECRET_HASH_PREFIX } from './secret.js';
import { USER_ID_PATTERN } from '../users/user-id.js';

const KNOWN_FIELDS = new Set([
  'client_id',
  'type',
  'client_secret_hash',
  'grant_types',
  'scope',
  'audience',
  'refresh_token_delivery',
  'description',
  'redirect_uris',
  'post_logout_redirect_uris',
  'first_party',
  'require_mfa',
  'require_pushed_authorization_requests',
  'dpop_bound_access_tokens',
  'jwks',
  'jwks_uri',
  ...Object.keys(DISPLAY_FIELDS),
]);
const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~:-]{1,128}$/;

/** The longest client_id that is a client ID metadata document's URL. */
export const DOCUMENT_CLIENT_ID_MAX_LENGTH = 255;

/**
 * Whether a client_id is the URL of a client ID metadata document: https, with a path, no fragment, no credentials,
 * no dot segments (the draft's rules for such a client_id). Registered client ids never contain a `/`.
 */
export function isDocumentClientId(clientId: string): boolean {
  if (!clientId.startsWith('https://') || clientId.length > DOCUMENT_CLIENT_ID_MAX_LENGTH) return false;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return false;
  }
  return (
    url.href === clientId && url.pathname !== '/' && url.hash === '' && url.username === '' && url.password === '' && !/\/\.\.?(\/|$)/.test(clientId.slice(8))
  );
}

/** How many document clients an instance keeps in memory at most (the least recently resolved go first). */
const MAX_DOCUMENT_CLIENTS = 1000;

/** What is wrong with a client entry (of CLIENTS_FILE or of the admin API): the message says it. */
export class EntryError extends Error {}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw new EntryError(`${field} must be an array of non-empty strings`);
  }
  return value as string[];
}

/** A `sha256:<hex>` client_secret_hash as bytes; an EntryError when malformed. */
export function parseSecretHash(value: unknown): Buffer {
  if (typeof value !== 'string' || !value.startsWith(SECRET_HASH_PREFIX) || !/^[0-9a-f]{64}$/i.test(value.slice(SECRET_HASH_PREFIX.length))) {
    throw new EntryError('client_secret_hash must be "sha256:" and 64 hex digits (npm run cli -- clients secret)');
  }
  return Buffer.from(value.slice(SECRET_HASH_PREFIX.length), 'hex');
}

/** A list of redirect URIs, each checked by redirectUriProblem. */
function redirectUris(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  const uris = stringList(value, field);
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new EntryError(`${field}: ${JSON.stringify(uri.slice(0, 200))} ${problem}`);
  }
  return uris;
}

/** Validates one client entry (CLIENTS_FILE's format, which the admin API takes too); throws an EntryError saying what is wrong. */
export function parseClientEntry(entry: unknown, defaultAudience: string, source: Client['source'] = 'file'): Client {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new EntryError('must be an object');
  const e = entry as Record<string, unknown>;
  if ('client_secret' in e) throw new EntryError('holds a plain-text client_secret; store client_secret_hash instead');
  const unknown = Object.keys(e).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) throw new EntryError(`has unknown field(s): ${unknown.join(', ')}`);
  if (source === 'document') {
    if (typeof e.client_id !== 'string' || !isDocumentClientId(e.client_id)) throw new EntryError('client_id must be the https URL of the document');
  } else if (typeof e.client_id !== 'string' || !CLIENT_ID_PATTERN.test(e.client_id)) {
    throw new EntryError('client_id must be 1 to 128 of A-Z a-z 0-9 . _ ~ : -');
  }
  // A client id of a user id's shape could make a client's `sub` equal a user's.
  if (USER_ID_PATTERN.test(e.client_id)) throw new EntryError('client_id must not have the shape of a UUID (user ids do)');
  if (e.type !== 'public' && e.type !== 'confidential') throw new EntryError('type must be "public" or "confidential"');
  const grantTypes = stringList(e.grant_types, 'grant_types');
  const known: readonly string[] = supportedGrantTypes();
  const unknownGrant = grantTypes.find((grant) => !known.includes(grant));
  if (unknownGrant !== undefined || grantTypes.length === 0) throw new EntryError(`grant_types must name some of ${known.join(', ')}`);
  if (e.type === 'public' && e.client_secret_hash !== undefined) throw new EntryError('a public client has no client_secret_hash');
  const keys = clientKeysOf(e.jwks, e.jwks_uri);
  if (typeof keys === 'string') throw new EntryError(keys);
  if (keys !== undefined && e.type === 'public') throw new EntryError('a public client has no keys: jwks and jwks_uri are for confidential clients');
  if (keys !== undefined && e.client_secret_hash !== undefined)
    throw new EntryError('a client authenticates with a secret or with its keys (private_key_jwt), not both');
  if (e.type === 'public' && grantTypes.includes('client_credentials')) throw new EntryError('a public client cannot use client_credentials');
  if (e.type === 'public' && grantTypes.includes(TOKEN_EXCHANGE)) throw new EntryError('a public client cannot exchange tokens');
  const scopes = e.scope === undefined ? [] : typeof e.scope === 'string' ? scopeTokens(e.scope) : undefined;
  if (!scopes) throw new EntryError('scope must be a space-separated string of scope tokens');
  const redirects = redirectUris(e.redirect_uris, 'redirect_uris');
  if (grantTypes.includes('authorization_code') && redirects.length === 0) throw new EntryError('the authorization_code grant needs redirect_uris');
  if (e.first_party !== undefined && typeof e.first_party !== 'boolean') throw new EntryError('first_party must be true or false');
  if (e.require_mfa !== undefined && typeof e.require_mfa !== 'boolean') throw new EntryError('require_mfa must be true or false');
  if (e.require_pushed_authorization_requests !== undefined && typeof e.require_pushed_authorization_requests !== 'boolean')
    throw new EntryError('require_pushed_authorization_requests must be true or false');
  if (e.dpop_bound_access_tokens !== undefined && typeof e.dpop_bound_access_tokens !== 'boolean')
    throw new EntryError('dpop_bound_access_tokens must be true or false');
  if (e.require_mfa === true && !grantTypes.includes('authorization_code'))
    throw new EntryError('require_mfa needs the authorization_code grant: only a browser sign-in can ask for a second factor');
  if (e.require_mfa === true && grantTypes.includes('password'))
    throw new EntryError('require_mfa cannot go with the password grant, which cannot carry a second factor');
  // RFC 9700 §2.4: the password grant hands the user's password to the client, so only the service's own apps have it.
  if (e.first_party === false && grantTypes.includes('password'))
    throw new EntryError('a client with the password grant is first-party: first_party cannot be false');
  if (e.description !== undefined && (typeof e.description !== 'string' || e.description.length > 1024))
    throw new EntryError('description must be a string of at most 1024 characters');
  const display = parseClientDisplay(e);
  if (typeof display === 'string') throw new EntryError(display);
  const delivery = e.refresh_token_delivery ?? 'body';
  if (delivery !== 'body' && delivery !== 'cookie') throw new EntryError('refresh_token_delivery must be "body" or "cookie"');
  return {
    clientId: e.client_id,
    type: e.type,
    secretHash: e.type === 'confidential' && keys === undefined ? parseSecretHash(e.client_secret_hash) : undefined,
    keys,
    grantTypes: new Set(grantTypes as GrantType[]),
    scopes,
    audience: e.audience === undefined ? [defaultAudience] : stringList(e.audience, 'audience'),
    refreshTokenDelivery: delivery,
    redirectUris: redirects,
    postLogoutRedirectUris: redirectUris(e.post_logout_redirect_uris, 'post_logout_redirect_uris'),
    firstParty: e.first_party === true || grantTypes.includes('password'),
    requireMfa: e.require_mfa === true,
    requirePushedRequests: e.require_pushed_authorization_requests === true,
    dpopBoundAccessTokens: e.dpop_bound_access_tokens === true,
    description: e.description as string | undefined,
    display,
    source,
    createdAt: undefined,
    selfRegistered: false,
    previousSecret: undefined,
  };
}

/**
 * The registered clients, by client_id: those of CLIENTS_FILE, fixed at start, and those the admin API keeps in the
 * store, replaced as a whole whenever ClientSync sees them change. A file client's id cannot be taken by a store one.
 */
export class ClientRegistry {
  readonly #fileClients: ReadonlyMap<string, Client>;
  #storeClients: ReadonlyMap<string, Client> = new Map();
  readonly #documentClients = new Map<string, Client>();

  constructor(clients: Iterable<Client>) {
    this.#fileClients = new Map([...clients].map((client) => [client.clientId, client]));
  }

  /** Builds the registry from parsed CLIENTS_FILE content; a ConfigError names the first bad entry. */
  static fromEntries(entries: unknown, defaultAudience: string): ClientRegistry {
    if (!Array.isArray(entries)) throw new ConfigError('CLIENTS_FILE', 'expected a JSON array of client entries');
    const clients: Client[] = [];
    entries.forEach((entry, index) => {
      const name = typeof (entry as { client_id?: unknown })?.client_id === 'string' ? ` ("${(entry as { client_id: string }).client_id}")` : '';
      try {
        const client = parseClientEntry(entry, defaultAudience);
        if (clients.some((other) => other.clientId === client.clientId)) throw new EntryError('repeats a client_id');
        clients.push(client);
      } catch (error) {
        if (!(error instanceof EntryError)) throw error;
        throw new ConfigError('CLIENTS_FILE', `entry ${index}${name} ${error.message}`);
      }
    });
    return new ClientRegistry(clients);
  }

  /** Reads CLIENTS_FILE, or gives the default public client `web` when there is none. */
  static load(file: string | undefined, defaultAudience: string): ClientRegistry {
    if (file === undefined) return ClientRegistry.fromEntries([DEFAULT_CLIENT_ENTRY], defaultAudience);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const reason = error instanceof SyntaxError ? 'is not valid JSON' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
      throw new ConfigError('CLIENTS_FILE', `${file} ${reason}`);
    }
    return ClientRegistry.fromEntries(parsed, defaultAudience);
  }

  get(clientId: string): Client | undefined {
    return this.#fileClients.get(clientId) ?? this.#storeClients.get(clientId) ?? this.#documentClients.get(clientId);
  }

  /** Keeps the client a metadata document makes (ClientMetadataDocuments decides when it is read again). */
  rememberDocumentClient(client: Client): void {
    this.#documentClients.delete(client.clientId);
    this.#documentClients.set(client.clientId, client);
    if (this.#documentClients.size > MAX_DOCUMENT_CLIENTS) this.#documentClients.delete(this.#documentClients.keys().next().value!);
  }

  /** The clients of CLIENTS_FILE, which the admin API may read but not change. */
  fileClients(): Client[] {
    return [...this.#fileClients.values()];
  }

  /** Replaces the store's clients with the set read from it (ClientSync); a file client's id stays the file's. */
  replaceStoreClients(clients: Iterable<Client>): void {
    this.#storeClients = new Map([...clients].filter((client) => !this.#fileClients.has(client.clientId)).map((client) => [client.clientId, client]));
  }

  /**
   * Whether a token or session of `clientId` issued at `issuedAt` (epoch seconds) belongs to a client registered now:
   * false once its client is deleted, and for what an earlier client of a re-created id issued. Bound, so the
   * services that enforce it (sessions, consents, revocation) take this one function.
   */
  readonly issuedToCurrent = (clientId: string, issuedAt: number): boolean => {
    const client = this.get(clientId);
    // A document client is nobody's to delete: its tokens stand on instances that have not read its document.
    if (client === undefined) return isDocumentClientId(clientId);
    return !predates(client, issuedAt);
  };

  /**
   * The scope of a token or session of `clientId` that holds now (narrowedScope): what it was granted and the client
   * is still allowed; empty when the client is gone.
   */
  currentScope(clientId: string, granted: string): string {
    const client = this.get(clientId);
    if (client === undefined) return isDocumentClientId(clientId) ? granted : '';
    return narrowedScope(granted, client.scopes).join(' ');
  }

  /**
   * Every scope a client may ask a person for in a browser (an authorization_code or device client's), for the discovery
   * document: the scopes of service-to-service and password-grant clients are theirs alone, and not advertised to the world.
   */
  browserScopes(): string[] {
    const browserClients = [...this.#fileClients.values(), ...this.#storeClients.values()].filter(
      (client) => client.grantTypes.has('authorization_code') || client.grantTypes.has(DEVICE_CODE),
    );
    return [...new Set(browserClients.flatMap((client) => client.scopes))].sort();
  }
}
