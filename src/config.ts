import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '@tokensmith/verifier/shared';
import type { SecurityProfile } from './clients/security-profile.js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseProviders, ProviderEntryError, type UpstreamProvider } from './federation/provider.js';
import { CLIENT_REGISTRATION_POLICIES, type ClientRegistrationPolicy } from './clients/registration-policy.js';
import { parseResources, ResourceEntryError, type ProtectedResource } from './resources/protected-resource.js';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';
import { ARGON2_MINIMUM, DEFAULT_HASHING_CONCURRENCY, settingOf, type SettingName } from './settings.js';
import type { RedisTopology, SentinelAddress } from './store/redis/topology.js';

/** argon2id cost parameters. */
export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** How many argon2 computations may run at once, and how long others wait for a turn. */
export interface HashingLimits {
  maxConcurrent: number;
  queueTimeoutMs: number;
}

export { ARGON2_MINIMUM, DEFAULT_HASHING_CONCURRENCY } from './settings.js';

/** AUDIT_LOG: `stdout` (at info), `off`, or the lowest level written. */
export type AuditSetting = 'stdout' | 'off' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** A named request limit (RateLimitConfig gives each its size): the buckets a route or grant counts a request in. */
export type LimitName =
  | 'loginIp'
  | 'loginUser'
  | 'registerIp'
  | 'registerUser'
  | 'clientRegistrationIp'
  | 'userCodeIp'
  | 'userCodeUser'
  | 'resetIp'
  | 'resetLogin'
  | 'tokenIp'
  | 'otherIp'
  | 'adminIp';

/** Request limits, each per fixed window; `enabled: false` (RATE_LIMIT=off) is for benchmarks only. */
export interface RateLimitConfig {
  enabled: boolean;
  /** Password checks per client IP per minute: the password grant, the login form, and password changes (API and account page). */
  loginPerIp: number;
  /** The same password checks per normalized username per minute. */
  loginPerUser: number;
  /** Failed logins per account per hour (ASVS 2.2.1: at most 100). */
  loginFailuresPerHour: number;
  /** Failed logins in a row before attempts must be spaced out. */
  loginFreeFailures: number;
  /** Registrations (the API and the registration form) per client IP per hour. */
  registerPerIp: number;
  /** Registration attempts per normalized username per hour. */
  registerPerUser: number;
  /** Client registrations (RFC 7591) per client IP per hour. */
  clientRegistrationPerIp: number;
  /** User codes entered at /device (RFC 8628 §5.1) per client IP per hour. */
  userCodePerIp: number;
  /** User codes entered at /device per signed-in account per hour. */
  userCodePerAccount: number;
  /** Password reset requests per client IP per hour. */
  resetPerIp: number;
  /** Reset mails per account per hour, and reset requests per name or address typed (answered alike past it). */
  resetPerAccount: number;
  /** Token requests of every other grant (authorization_code, refresh_token, client_credentials, unknown ones) per client IP per minute. */
  tokenPerIp: number;
  /**
   * Every other limited request per client IP per minute: authorization, the hosted pages and their forms, end-session,
   * UserInfo, logout, revocation, introspection and the revocation feed.
   */
  otherPerIp: number;
  /** Admin API requests per client IP per minute. */
  adminPerIp: number;
  /** The prefix length IPv6 clients are counted under by every per-IP limit (IPv4 counts per address). */
  ipv6Prefix: number;
}

/** How mail leaves: an SMTP server, a folder (development), or not at all. */
export type MailTransportConfig =
  | { kind: 'smtp'; url: string; user: string | undefined; password: string | undefined; caFile: string | undefined }
  | { kind: 'folder'; dir: string }
  | { kind: 'off' };

/** Mail: how it leaves, from whom, its templates, and how a mail the server did not take is tried again. */
export interface MailConfig {
  transport: MailTransportConfig;
  from: string;
  templatesDir: string | undefined;
  /** A translation of the mails' words (MAIL_LOCALE_FILE); English when unset. */
  localeFile: string | undefined;
  /** Whether a sign-in from a browser new to the account is told by mail (MAIL_NEW_BROWSER_NOTICE). */
  newBrowserNotice: boolean;
  /** Milliseconds before the first retry; each later one waits twice as long, at most MAIL_RETRY_CAP_MS. */
  retryDelayMs: number;
  maxAttempts: number;
}

/** Email addresses on accounts: whether registration asks for one, and how long the links mailed to them work. */
export interface EmailConfig {
  registration: 'optional' | 'required' | 'off';
  /** Whether a password sign-in needs a verified address (SIGN_IN_REQUIRES_VERIFIED_EMAIL). */
  signInRequiresVerified: boolean;
  /** Seconds a verification link works. */
  verificationTtl: number;
  /** Seconds a password reset link works. */
  resetTtl: number;
}

/** The service's whole configuration, validated. */
export interface Config {
  production: boolean;
  port: number;
  host: string;
  issuer: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where state lives: Redis (shared, durable) or the embedded in-memory store (this process only). */
  store: 'redis' | 'memory';
  /** Which Redis: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (one of them); undefined for none. */
  redis: RedisTopology | undefined;
  redisKeyPrefix: string;
  /**
   * How many replicas must acknowledge a write before the store answers (REDIS_WAIT_REPLICAS; default 1 with a
   * cluster or sentinels, where a failover would otherwise lose what the replica had not received, 0 otherwise).
   */
  redisWaitReplicas: number;
  /** Milliseconds a write waits for those replicas before it fails as unavailable (REDIS_WAIT_TIMEOUT). */
  redisWaitTimeout: number;
  keysDir: string;
  /** The algorithm of new keys (`keys rotate`, the first key outside production): RS256 (default) or ES256 (P-256). */
  signingAlg: SigningAlgorithm;
  /** Seconds a verifier may cache the JWKS (its Cache-Control max-age). */
  jwksMaxAge: number;
  /** Seconds between checks of KEYS_DIR for added, rotated or retired keys. */
  keysReloadInterval: number;
  /** Seconds a key signs before the schedule makes the next one (KEY_ROTATION_INTERVAL); 0: off. */
  keyRotationInterval: number;
  accessTokenTtl: number;
  defaultAudience: string;
  clientsFile: string | undefined;
  /** The upstream OpenID providers people may sign in through (PROVIDERS_FILE), validated at start. */
  providers: readonly UpstreamProvider[];
  /** The protected resources tokens may be meant for (RESOURCES_FILE, RFC 8707), validated at start. */
  resources: readonly ProtectedResource[];
  registration: 'open' | 'closed';
  /**
   * Who may register clients at /oauth/register (RFC 7591), how many such clients the store may hold, and how many
   * seconds one may go unused before it is deleted.
   */
  clientRegistration: { policy: ClientRegistrationPolicy; maxClients: number; idleTtl: number };
  /** Whether every authorization request must be pushed first (RFC 9126 §5: REQUIRE_PUSHED_AUTHORIZATION_REQUESTS). */
  requirePushedAuthorizationRequests: boolean;
  /** The security profile (PROFILE): `fapi2` holds the service and every client to the FAPI 2.0 Security Profile. */
  profile: SecurityProfile;
  /** Every token request must carry a DPoP proof (REQUIRE_DPOP, RFC 9449). */
  requireDpop: boolean;
  /** The key server nonces for DPoP proofs are made from (DPOP_NONCE_KEY, RFC 9449 §8); undefined: no nonce is asked for. */
  dpopNonceKey: Buffer | undefined;
  /** The device authorization grant (RFC 8628): seconds a request waits for its person, and seconds between polls. */
  deviceAuthorization: { ttl: number; interval: number };
  /**
   * Client ID metadata documents: whether an https client_id is read as one, whether loopback hosts may serve them
   * (development), and extra certificate authorities for their hosts (the PEM of CLIENT_METADATA_CA_FILE).
   */
  clientMetadataDocuments: { enabled: boolean; allowLoopback: boolean; ca: Buffer | undefined };
  email: EmailConfig;
  mail: MailConfig;
  /** The key that seals authenticator apps' keys at rest (MFA_SECRET_KEY); undefined: stored as they are. */
  mfaSecretKey: Buffer | undefined;
  /** Whether second factors may be added and are asked for (`optional`), must be (`required`), or are not used (`off`). */
  mfaPolicy: MfaPolicy;
  /** The WebAuthn relying party of passkeys (PASSKEY_RP_ID, PASSKEY_ORIGINS); undefined when the issuer's host is an IP address, which cannot be one. */
  passkeys: PasskeyRelyingParty | undefined;
  argon2: Argon2Params;
  hashing: HashingLimits;
  rateLimits: RateLimitConfig;
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDRs); false: the socket's address is the client's. */
  trustProxy: string[] | false;
  /** Absolute session lifetime in seconds; rotation never extends it. */
  refreshTokenTtl: number;
  /** Seconds a session may go unused before it ends; each refresh renews it. */
  refreshIdleTtl: number;
  /** Seconds after a rotation during which the spent token may be presented again (0 turns it off). */
  refreshReuseGrace: number;
  /** Origins that browser clients may call from with credentials (exact `scheme://host[:port]`). */
  allowedOrigins: readonly string[];
  /** What forward-auth does with a token it cannot check against the revocation lists (store down): reject (fail closed) or accept. */
  revocationUnavailable: 'reject' | 'accept';
  /** Strict-Transport-Security max-age in seconds; 0 sends none. Defaults to a year when ISSUER is https. */
  hstsMaxAge: number;
  /** Milliseconds a Redis call may take before the request answers 503. */
  redisCommandTimeout: number;
  /** Seconds to wait for Redis at start before giving up (REDIS_CONNECT_TIMEOUT); 0 waits as long as it takes. */
  redisConnectTimeout: number;
  /** How the hosted pages are branded: PAGES_PRODUCT_NAME, PAGES_LOGO_FILE, PAGES_STYLESHEET_FILE (paths absolute). */
  pages: { productName: string | undefined; logoFile: string | undefined; stylesheetFile: string | undefined; localesDir: string | undefined };
  /** Whether the refresh-token cookie is Secure (and `__Secure-` prefixed); false only for plain-http development. */
  cookieSecure: boolean;
  /** Absolute lifetime of a sign-in (the browser session at this service) in seconds. */
  signInTtl: number;
  /** Seconds a sign-in may go unused before it ends. */
  signInIdleTtl: number;
  /** The audit log: `stdout` (at info), `off`, or the lowest level written. */
  auditLog: AuditSetting;
  /** Where GET /metrics listens (a listener of its own); undefined: no metrics. */
  metrics: { port: number; host: string } | undefined;
  /** Where the admin API listens (a listener of its own); undefined: no admin API. */
  admin: { port: number; host: string } | undefined;
}

type Env = Record<string, string | undefined>;

/**
 * The folder relative paths in settings (KEYS_DIR, CLIENTS_FILE) are read against: the service's own folder, the one
 * that holds package.json (and `dist/`), whichever folder the service or the CLI is started from.
 */
export const SETTINGS_BASE = fileURLToPath(new URL('..', import.meta.url));

/** A path setting, absolute: as given when absolute, else under SETTINGS_BASE. */
function path(env: Env, name: SettingName, fallback?: string): string | undefined {
  const raw = text(env, name, fallback);
  return raw === undefined || isAbsolute(raw) ? raw : resolve(SETTINGS_BASE, raw);
}

/** A whole number in the schema's range; its default is the schema's, or `fallback` where it depends on other settings. */
function integer(env: Env, name: SettingName, fallback?: number): number {
  const { min, max, fallback: fixed } = settingOf(name).integer!;
  const raw = env[name];
  if (raw === undefined || raw === '') return (fallback ?? fixed)!;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: SettingName, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function text(env: Env, name: SettingName, fallback?: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function httpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, `expected an http(s) URL, got "${raw}"`);
  if (url.search || url.hash) throw new ConfigError(name, 'expected a URL without query or fragment (RFC 8414 §2)');
  return raw.replace(/\/+$/, '');
}

function redisUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return raw;
  } catch {
    // fall through to the error below, which never echoes the value: it may hold a password
  }
  throw new ConfigError(name, 'expected a redis:// or rediss:// URL');
}

/** `host:port`, as REDIS_SENTINELS lists sentinels. */
function hostAndPort(name: string, raw: string): SentinelAddress {
  const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(raw);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65_535) throw new ConfigError(name, 'expected a comma-separated list of host:port');
  return { host: match[1]!, port };
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Which Redis: one server (REDIS_URL), a Redis Cluster through seed nodes (REDIS_CLUSTER_NODES, comma-separated
 * URLs) or the master that sentinels name (REDIS_SENTINELS, comma-separated host:port, with REDIS_SENTINEL_NAME,
 * optionally REDIS_SENTINEL_PASSWORD for the sentinels and REDIS_PASSWORD for the master and replicas). Setting
 * more than one is a mistake, never a choice between them.
 */
function redisTopology(env: Env, prefix: string): RedisTopology | undefined {
  const url = text(env, 'REDIS_URL');
  const cluster = text(env, 'REDIS_CLUSTER_NODES');
  const sentinels = text(env, 'REDIS_SENTINELS');
  const set = [url && 'REDIS_URL', cluster && 'REDIS_CLUSTER_NODES', sentinels && 'REDIS_SENTINELS'].filter(Boolean);
  if (set.length > 1) throw new ConfigError(set[1] as string, `contradicts ${set[0] as string}: set one way to reach Redis`);
  if (url !== undefined) return { kind: 'single', url: redisUrl('REDIS_URL', url)! };
  if (cluster !== undefined) {
    // A hash tag in the prefix would put every key of the store in one slot (keys.ts).
    if (/[{}]/.test(prefix)) throw new ConfigError('REDIS_KEY_PREFIX', 'must not contain { or } on a Redis Cluster');
    const nodes = list(cluster).map((node) => redisUrl('REDIS_CLUSTER_NODES', node)!);
    if (nodes.length === 0) throw new ConfigError('REDIS_CLUSTER_NODES', 'expected at least one redis:// URL');
    return { kind: 'cluster', nodes };
  }
  const sentinelPassword = text(env, 'REDIS_SENTINEL_PASSWORD');
  const password = text(env, 'REDIS_PASSWORD');
  if (sentinels === undefined) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD'] as const) {
      if (text(env, name) !== undefined) throw new ConfigError(name, 'only applies with REDIS_SENTINELS');
    }
    return undefined;
  }
  const name = text(env, 'REDIS_SENTINEL_NAME');
  if (name === undefined) throw new ConfigError('REDIS_SENTINEL_NAME', 'required with REDIS_SENTINELS: the name the sentinels monitor the master by');
  const addresses = list(sentinels).map((sentinel) => hostAndPort('REDIS_SENTINELS', sentinel));
  if (addresses.length === 0) throw new ConfigError('REDIS_SENTINELS', 'expected a comma-separated list of host:port');
  return {
    kind: 'sentinel',
    sentinels: addresses,
    name,
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
    ...(password === undefined ? {} : { password }),
  };
}

function argon2Params(env: Env, production: boolean): Argon2Params {
  const params: Argon2Params = {
    memoryCost: integer(env, 'ARGON2_MEMORY_KIB'),
    timeCost: integer(env, 'ARGON2_TIME_COST'),
    parallelism: integer(env, 'ARGON2_PARALLELISM'),
  };
  if (production) {
    if (params.memoryCost < ARGON2_MINIMUM.memoryCost)
      throw new ConfigError('ARGON2_MEMORY_KIB', `expected at least ${ARGON2_MINIMUM.memoryCost} in production`);
    if (params.timeCost < ARGON2_MINIMUM.timeCost) throw new ConfigError('ARGON2_TIME_COST', `expected at least ${ARGON2_MINIMUM.timeCost} in production`);
  }
  return params;
}

function origins(env: Env, name: SettingName): string[] {
  const raw = text(env, name, '')!;
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new ConfigError(name, `expected comma-separated origins like https://app.example.com, got "${entry}"`);
      }
      if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== entry) {
        throw new ConfigError(name, `expected an origin (scheme://host[:port], no path or trailing slash), got "${entry}"`);
      }
      return entry;
    });
}

/**
 * The entries of a JSON-array file setting (PROVIDERS_FILE, RESOURCES_FILE), each validated by `parse`; none when
 * unset. A ConfigError names the file's fault: unreadable, not JSON, or the entry error `parse` threw.
 */
function entriesFile<T>(name: SettingName, file: string | undefined, parse: (entries: unknown) => T[], entryError: new (...args: never[]) => Error): T[] {
  if (file === undefined) return [];
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(name, `cannot read ${file} as JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    return parse(entries);
  } catch (error) {
    if (error instanceof entryError) throw new ConfigError(name, error.message);
    throw error;
  }
}

/** How client ID metadata documents are read; loopback hosts only outside production. */
/** KEY_ROTATION_INTERVAL: 0 (off), or an hour at least, longer than a new key waits before it signs. */
function keyRotationInterval(env: Env): number {
  const interval = integer(env, 'KEY_ROTATION_INTERVAL');
  const activation = integer(env, 'KEYS_RELOAD_INTERVAL') + integer(env, 'JWKS_MAX_AGE');
  if (interval !== 0 && (interval < 3600 || interval <= activation)) {
    throw new ConfigError(
      'KEY_ROTATION_INTERVAL',
      `must be 0 (off) or at least 3600 seconds, and more than KEYS_RELOAD_INTERVAL + JWKS_MAX_AGE (${activation})`,
    );
  }
  return interval;
}

function clientMetadataDocuments(env: Env, production: boolean): Config['clientMetadataDocuments'] {
  const allowLoopback = boolean(env, 'CLIENT_METADATA_ALLOW_LOOPBACK', false);
  if (production && allowLoopback)
    throw new ConfigError('CLIENT_METADATA_ALLOW_LOOPBACK', 'is for development; production reads no document on a loopback host');
  const caFile = path(env, 'CLIENT_METADATA_CA_FILE');
  let ca: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile);
    } catch (error) {
      throw new ConfigError('CLIENT_METADATA_CA_FILE', `cannot read ${caFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  return { enabled: oneOf(env, 'CLIENT_ID_METADATA_DOCUMENTS', ['on', 'off'] as const, 'off') === 'on', allowLoopback, ca };
}

/** The multi-factor policies (MFA). */
export const MFA_POLICIES = ['off', 'optional', 'required'] as const;
export type MfaPolicy = (typeof MFA_POLICIES)[number];

/** Where passkeys belong: the relying party id (a domain) and the origins whose pages may use them. */
export interface PasskeyRelyingParty {
  rpId: string;
  origins: readonly string[];
}

/**
 * The passkeys' relying party: the issuer's host and origin unless PASSKEY_RP_ID (a registrable suffix, for a custom
 * domain) and PASSKEY_ORIGINS say otherwise. Each origin must be https (or http://localhost in development) on the
 * RP id or a subdomain of it (WebAuthn Level 3 §5.1.4.1, "RP ID"). An IP address cannot be an RP id, nor can a single
 * label but localhost: with an issuer on one and no PASSKEY_RP_ID, passkeys are off.
 */
export function passkeyRelyingParty(env: Env, issuer: string): PasskeyRelyingParty | undefined {
  const issuerUrl = new URL(issuer);
  const configured = text(env, 'PASSKEY_RP_ID');
  const rpId = (configured ?? issuerUrl.hostname).toLowerCase();
  if (isIP(rpId.replace(/^\[|\]$/g, '')) !== 0) {
    if (configured !== undefined) throw new ConfigError('PASSKEY_RP_ID', 'expected a domain name: an IP address cannot be a WebAuthn relying party id');
    return undefined;
  }
  // A single label (`com`, or an intranet name) may be a public suffix, which browsers refuse as an RP id; the full list is theirs to apply.
  if (!rpId.includes('.') && rpId !== 'localhost') {
    if (configured !== undefined) throw new ConfigError('PASSKEY_RP_ID', `expected a registrable domain, not the single label ${rpId}`);
    return undefined;
  }
  const listed = origins(env, 'PASSKEY_ORIGINS');
  // Browsers run WebAuthn only in a secure context: an http issuer off localhost (which production warns about) has
  // no passkeys, unless PASSKEY_ORIGINS names where the pages are served over https.
  if (listed.length === 0 && issuerUrl.protocol !== 'https:' && issuerUrl.hostname !== 'localhost') return undefined;
  const allowed = listed.length > 0 ? listed : [issuerUrl.origin];
  for (const origin of allowed) {
    const { hostname, protocol } = new URL(origin);
    const name = listed.length > 0 ? 'PASSKEY_ORIGINS' : 'PASSKEY_RP_ID';
    if (hostname !== rpId && !hostname.endsWith(`.${rpId}`)) throw new ConfigError(name, `the origin ${origin} is not on ${rpId} or a subdomain of it`);
    if (protocol !== 'https:' && hostname !== 'localhost') throw new ConfigError(name, `the origin ${origin} must be https (http only for localhost)`);
  }
  return { rpId, origins: allowed };
}

function proxies(env: Env, name: SettingName): string[] | false {
  const entries = (text(env, name, '') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new ConfigError(name, `expected comma-separated IP addresses or CIDRs of trusted proxies, got "${entry}"`);
    }
  }
  return entries.length > 0 ? entries : false;
}

function boolean(env: Env, name: SettingName, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

/**
 * The issuer: ISSUER, which production requires (no verifier elsewhere accepts the development default,
 * http://localhost:PORT, and tokens issued under it would all be refused).
 */
function issuerUrl(env: Env, required: boolean, port: number): string {
  const raw = text(env, 'ISSUER');
  if (raw === undefined && required) throw new ConfigError('ISSUER', 'required in production: the https URL verifiers know this service by');
  return httpUrl('ISSUER', raw ?? `http://localhost:${port}`);
}

/**
 * Where state lives. STORE=redis needs REDIS_URL; without STORE, REDIS_URL decides, except that production
 * refuses to fall back to the embedded store silently (sessions lost on every deploy, not shared): it must be
 * asked for with STORE=memory.
 */
function storeKind(env: Env, serving: boolean, redis: RedisTopology | undefined): Config['store'] {
  const chosen = text(env, 'STORE');
  if (chosen === undefined) {
    if (redis === undefined && serving) {
      throw new ConfigError(
        'REDIS_URL',
        'required in production (or REDIS_CLUSTER_NODES or REDIS_SENTINELS; or STORE=memory to keep all state in this one process)',
      );
    }
    return redis === undefined ? 'memory' : 'redis';
  }
  const kind = oneOf(env, 'STORE', ['redis', 'memory'] as const, 'redis');
  if (kind === 'redis' && redis === undefined) throw new ConfigError('REDIS_URL', 'required with STORE=redis (or REDIS_CLUSTER_NODES or REDIS_SENTINELS)');
  if (kind === 'memory' && redis !== undefined) throw new ConfigError('STORE', 'memory contradicts the Redis settings; unset one of them');
  return kind;
}

/**
 * PROFILE, with the settings that would contradict it refused at start: under `fapi2` (FAPI 2.0 Security Profile §5.4.1
 * allows PS256, ES256 and EdDSA, never RS256) tokens are signed with ES256, nobody registers clients anonymously (they
 * would be public), and no client ID metadata document makes a client (those are public too).
 */
function securityProfile(env: Env): SecurityProfile {
  const profile = oneOf(env, 'PROFILE', ['none', 'fapi2'] as const, 'none');
  if (profile === 'none') return profile;
  if (oneOf(env, 'SIGNING_ALG', SIGNING_ALGORITHMS, 'RS256') !== 'ES256') {
    throw new ConfigError('SIGNING_ALG', 'PROFILE=fapi2 signs with ES256 (FAPI 2.0 §5.4.1 does not allow RS256): set SIGNING_ALG=ES256');
  }
  if (text(env, 'CLIENT_REGISTRATION') === 'open') throw new ConfigError('CLIENT_REGISTRATION', 'open contradicts PROFILE=fapi2: it makes public clients');
  if (text(env, 'CLIENT_ID_METADATA_DOCUMENTS') === 'on') {
    throw new ConfigError('CLIENT_ID_METADATA_DOCUMENTS', 'on contradicts PROFILE=fapi2: a metadata document makes a public client');
  }
  return profile;
}

/** A switch the profile turns on (PAR, DPoP: FAPI 2.0 §5.3.2.2, §5.3.3): true under it, and `false` then refused. */
function requiredByProfile(env: Env, profile: SecurityProfile, name: 'REQUIRE_PUSHED_AUTHORIZATION_REQUESTS' | 'REQUIRE_DPOP'): boolean {
  const value = boolean(env, name, profile === 'fapi2');
  if (profile === 'fapi2' && !value) throw new ConfigError(name, 'false contradicts PROFILE=fapi2, which requires it');
  return value;
}

/** 32 bytes of key, written as base64, base64url or hex; the error never repeats the value. */
function secretKey(env: Env, name: SettingName): Buffer | undefined {
  const raw = text(env, name)?.trim();
  if (raw === undefined) return undefined;
  const bytes = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(raw) ? Buffer.from(raw, 'base64url') : undefined;
  if (bytes?.length !== 32) throw new ConfigError(name, 'expected 32 random bytes as base64 or 64 hex digits (openssl rand -base64 32)');
  return bytes;
}

/**
 * How mail leaves. Outside production it needs nothing: mails go to a folder and their links to the log, so `npm start`
 * works alone. Production never takes the folder, and without a transport it refuses what cannot work without mail.
 */
function mailConfig(env: Env, production: boolean, issuer: string, email: EmailConfig): MailConfig {
  const kind = oneOf(env, 'MAIL_TRANSPORT', ['smtp', 'folder', 'off'] as const, production ? 'off' : 'folder');
  if (production && kind === 'folder') throw new ConfigError('MAIL_TRANSPORT', 'folder is for development; set smtp (with SMTP_URL) or off in production');
  if (email.signInRequiresVerified && kind === 'off') {
    throw new ConfigError('MAIL_TRANSPORT', 'cannot be off with SIGN_IN_REQUIRES_VERIFIED_EMAIL=true: nobody could verify an address');
  }
  if (email.signInRequiresVerified && email.registration !== 'required') {
    throw new ConfigError(
      'REGISTRATION_EMAIL',
      'must be required with SIGN_IN_REQUIRES_VERIFIED_EMAIL=true: an account without an address could never sign in',
    );
  }
  if (production && kind === 'off' && email.registration === 'required') {
    throw new ConfigError('MAIL_TRANSPORT', 'required with REGISTRATION_EMAIL=required: set smtp and SMTP_URL, so that addresses can be verified');
  }
  const url = text(env, 'SMTP_URL');
  if (kind === 'smtp' && url === undefined) throw new ConfigError('SMTP_URL', 'required with MAIL_TRANSPORT=smtp: smtp://host:587 or smtps://host:465');
  if (url !== undefined && !/^smtps?:\/\/[^\s]+$/.test(url)) throw new ConfigError('SMTP_URL', 'expected an smtp:// or smtps:// URL');
  const from = text(env, 'MAIL_FROM');
  if (kind === 'smtp' && production && from === undefined) throw new ConfigError('MAIL_FROM', 'required with MAIL_TRANSPORT=smtp in production');
  const transport: MailTransportConfig =
    kind === 'smtp'
      ? { kind, url: url!, user: text(env, 'SMTP_USER'), password: text(env, 'SMTP_PASSWORD'), caFile: path(env, 'SMTP_CA_FILE') }
      : kind === 'folder'
        ? { kind, dir: path(env, 'MAIL_FOLDER', './mail')! }
        : { kind };
  return {
    transport,
    from: from ?? `no-reply@${new URL(issuer).hostname}`,
    templatesDir: path(env, 'MAIL_TEMPLATES_DIR'),
    localeFile: path(env, 'MAIL_LOCALE_FILE'),
    newBrowserNotice: boolean(env, 'MAIL_NEW_BROWSER_NOTICE', false),
    retryDelayMs: integer(env, 'MAIL_RETRY_DELAY') * 1000,
    maxAttempts: integer(env, 'MAIL_MAX_ATTEMPTS'),
  };
}

/**
 * Reads and validates the configuration from environment variables; throws a ConfigError naming the first bad one.
 * `purpose` is what it is for: serving (production then needs ISSUER and a shared store) or a CLI command
 * (keys need neither; `users add` checks the store itself).
 */
export function loadConfig(env: Env = process.env, purpose: 'serve' | 'command' = 'serve'): Config {
  const production = text(env, 'NODE_ENV') === 'production';
  const serving = production && purpose === 'serve';
  const port = integer(env, 'PORT');
  const issuer = issuerUrl(env, serving, port);
  const redisKeyPrefix = text(env, 'REDIS_KEY_PREFIX', 'tokensmith:')!;
  const redis = redisTopology(env, redisKeyPrefix);
  const email: EmailConfig = {
    registration: oneOf(env, 'REGISTRATION_EMAIL', ['optional', 'required', 'off'] as const, 'optional'),
    signInRequiresVerified: boolean(env, 'SIGN_IN_REQUIRES_VERIFIED_EMAIL', false),
    verificationTtl: integer(env, 'EMAIL_VERIFICATION_TTL'),
    resetTtl: integer(env, 'PASSWORD_RESET_TTL'),
  };
  const profile = securityProfile(env);
  return {
    production,
    profile,
    port,
    host: text(env, 'HOST', '0.0.0.0')!,
    issuer,
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    store: storeKind(env, serving, redis),
    redis,
    redisKeyPrefix,
    redisWaitReplicas: integer(env, 'REDIS_WAIT_REPLICAS', redis === undefined || redis.kind === 'single' ? 0 : 1),
    redisWaitTimeout: integer(env, 'REDIS_WAIT_TIMEOUT'),
    keysDir: path(env, 'KEYS_DIR', './keys')!,
    signingAlg: oneOf(env, 'SIGNING_ALG', SIGNING_ALGORITHMS, 'RS256'),
    jwksMaxAge: integer(env, 'JWKS_MAX_AGE'),
    keysReloadInterval: integer(env, 'KEYS_RELOAD_INTERVAL'),
    keyRotationInterval: keyRotationInterval(env),
    accessTokenTtl: integer(env, 'ACCESS_TOKEN_TTL'),
    defaultAudience: text(env, 'DEFAULT_AUDIENCE', 'api')!,
    clientsFile: path(env, 'CLIENTS_FILE'),
    providers: entriesFile('PROVIDERS_FILE', path(env, 'PROVIDERS_FILE'), (entries) => parseProviders(entries, env), ProviderEntryError),
    resources: entriesFile('RESOURCES_FILE', path(env, 'RESOURCES_FILE'), parseResources, ResourceEntryError),
    registration: oneOf(env, 'REGISTRATION', ['open', 'closed'] as const, 'open'),
    clientRegistration: {
      policy: oneOf(env, 'CLIENT_REGISTRATION', CLIENT_REGISTRATION_POLICIES, 'closed'),
      maxClients: integer(env, 'CLIENT_REGISTRATION_MAX'),
      idleTtl: integer(env, 'CLIENT_REGISTRATION_IDLE_TTL'),
    },
    requirePushedAuthorizationRequests: requiredByProfile(env, profile, 'REQUIRE_PUSHED_AUTHORIZATION_REQUESTS'),
    requireDpop: requiredByProfile(env, profile, 'REQUIRE_DPOP'),
    dpopNonceKey: secretKey(env, 'DPOP_NONCE_KEY'),
    deviceAuthorization: { ttl: integer(env, 'DEVICE_CODE_TTL'), interval: integer(env, 'DEVICE_CODE_INTERVAL') },
    clientMetadataDocuments: clientMetadataDocuments(env, production),
    email,
    mail: mailConfig(env, production, issuer, email),
    mfaSecretKey: secretKey(env, 'MFA_SECRET_KEY'),
    mfaPolicy: oneOf(env, 'MFA', MFA_POLICIES, 'optional'),
    passkeys: passkeyRelyingParty(env, issuer),
    argon2: argon2Params(env, production),
    rateLimits: {
      enabled: oneOf(env, 'RATE_LIMIT', ['on', 'off'] as const, 'on') === 'on',
      loginPerIp: integer(env, 'RATE_LIMIT_LOGIN_IP'),
      loginPerUser: integer(env, 'RATE_LIMIT_LOGIN_USER'),
      loginFailuresPerHour: integer(env, 'LOGIN_MAX_FAILURES'),
      loginFreeFailures: integer(env, 'LOGIN_FREE_FAILURES'),
      registerPerIp: integer(env, 'RATE_LIMIT_REGISTER_IP'),
      registerPerUser: integer(env, 'RATE_LIMIT_REGISTER_USER'),
      clientRegistrationPerIp: integer(env, 'RATE_LIMIT_CLIENT_REGISTRATION_IP'),
      userCodePerIp: integer(env, 'RATE_LIMIT_USER_CODE_IP'),
      userCodePerAccount: integer(env, 'RATE_LIMIT_USER_CODE_ACCOUNT'),
      resetPerIp: integer(env, 'RATE_LIMIT_RESET_IP'),
      resetPerAccount: integer(env, 'RATE_LIMIT_RESET_ACCOUNT'),
      tokenPerIp: integer(env, 'RATE_LIMIT_TOKEN_IP'),
      otherPerIp: integer(env, 'RATE_LIMIT_OTHER_IP'),
      adminPerIp: integer(env, 'RATE_LIMIT_ADMIN_IP'),
      ipv6Prefix: integer(env, 'RATE_LIMIT_IPV6_PREFIX'),
    },
    trustProxy: proxies(env, 'TRUST_PROXY'),
    hashing: {
      maxConcurrent: integer(env, 'ARGON2_MAX_CONCURRENT', DEFAULT_HASHING_CONCURRENCY),
      queueTimeoutMs: integer(env, 'ARGON2_QUEUE_TIMEOUT'),
    },
    refreshTokenTtl: integer(env, 'REFRESH_TOKEN_TTL'),
    refreshIdleTtl: integer(env, 'REFRESH_IDLE_TTL'),
    refreshReuseGrace: integer(env, 'REFRESH_REUSE_GRACE'),
    allowedOrigins: origins(env, 'ALLOWED_ORIGINS'),
    cookieSecure: boolean(env, 'COOKIE_SECURE', true),
    signInTtl: integer(env, 'SIGN_IN_TTL'),
    signInIdleTtl: integer(env, 'SIGN_IN_IDLE_TTL'),
    metrics: text(env, 'METRICS_PORT') === undefined ? undefined : { port: integer(env, 'METRICS_PORT', 0), host: text(env, 'METRICS_HOST', '127.0.0.1')! },
    admin: text(env, 'ADMIN_PORT') === undefined ? undefined : { port: integer(env, 'ADMIN_PORT', 0), host: text(env, 'ADMIN_HOST', '127.0.0.1')! },
    auditLog: oneOf(env, 'AUDIT_LOG', ['stdout', 'off', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, 'stdout'),
    hstsMaxAge: integer(env, 'HSTS_MAX_AGE', issuer.startsWith('https:') ? 31_536_000 : 0),
    redisCommandTimeout: integer(env, 'REDIS_COMMAND_TIMEOUT'),
    redisConnectTimeout: integer(env, 'REDIS_CONNECT_TIMEOUT'),
    pages: {
      productName: text(env, 'PAGES_PRODUCT_NAME'),
      logoFile: path(env, 'PAGES_LOGO_FILE'),
      stylesheetFile: path(env, 'PAGES_STYLESHEET_FILE'),
      localesDir: path(env, 'PAGES_LOCALES_DIR'),
    },
    revocationUnavailable: oneOf(env, 'REVOCATION_UNAVAILABLE', ['reject', 'accept'] as const, 'reject'),
  };
}
