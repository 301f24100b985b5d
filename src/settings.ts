import { availableParallelism } from 'node:os';
import { DEFAULT_IPV6_PREFIX } from './http/address-bucket.js';

// The configuration schema: every environment variable the service reads, in the order the reference lists them,
// with what the reference says of it. loadConfig (config.ts) takes each whole number's range and fixed default from
// here; docs/reference/configuration.md is rendered from here (`npm run docs:config`), and
// test/docs/configuration-reference.test.ts fails when the code, this schema and the reference differ.

/** One environment variable: its name, its default as the reference states it, and what it means. */
export interface Setting {
  readonly name: string;
  /** The default in the reference's words; for a whole number with a fixed default, rendered from `integer.fallback`. */
  readonly default?: string;
  /** A whole number's range, enforced by loadConfig, and its default when that does not depend on other settings. */
  readonly integer?: { readonly min: number; readonly max: number; readonly fallback?: number };
  readonly meaning: string;
}

/** OWASP's minimum for argon2id (Password Storage Cheat Sheet): the default, and the floor in production. */
export const ARGON2_MINIMUM = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * argon2 computations at once by default: one per core, and no more than libuv's default thread pool of
 * 4 runs anyway. More at once would only hold more memory (ARGON2_MEMORY_KIB each) for the same throughput.
 */
export const DEFAULT_HASHING_CONCURRENCY = Math.min(4, availableParallelism());

/** Every environment variable of the configuration. */
export const SETTINGS = [
  { name: 'PORT', integer: { min: 0, max: 65535, fallback: 3000 }, meaning: 'Listening port.' },
  { name: 'HOST', default: '`0.0.0.0`', meaning: 'Listening address.' },
  {
    name: 'ISSUER',
    default: '`http://localhost:$PORT`',
    meaning:
      'The `iss` of every token and the base of every URL in the metadata. An http(s) URL without query or fragment. Required in production; plain http on a non-loopback host logs a warning.',
  },
  {
    name: 'LOG_LEVEL',
    default: '`info`',
    meaning:
      '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. At `info` and below, one line per request; above it, the request log costs nothing.',
  },
  {
    name: 'NODE_ENV',
    default: 'unset',
    meaning:
      "`production` refuses to start without `ISSUER`, without a Redis (`REDIS_URL`, `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS`; unless `STORE=memory`) or without keys, and refuses argon2 parameters below OWASP's minimum.",
  },
  {
    name: 'REDIS_URL',
    default: 'unset',
    meaning:
      'One Redis: `redis://` or `rediss://`. With none of the three Redis settings: the embedded in-memory store (state lost on restart, not shared; logged as a warning), which production takes only with `STORE=memory`. Setting more than one of `REDIS_URL`, `REDIS_CLUSTER_NODES` and `REDIS_SENTINELS` is a configuration error.',
  },
  {
    name: 'REDIS_CLUSTER_NODES',
    default: 'unset',
    meaning:
      'A Redis Cluster: comma-separated `redis://` or `rediss://` URLs of seed nodes (the client finds the rest and follows failovers and slot moves). `REDIS_KEY_PREFIX` may not contain `{` or `}` then.',
  },
  {
    name: 'REDIS_SENTINELS',
    default: 'unset',
    meaning: 'Redis Sentinel: comma-separated `host:port` of the sentinels; needs `REDIS_SENTINEL_NAME`, the name they monitor the master by.',
  },
  { name: 'REDIS_SENTINEL_NAME', default: 'unset', meaning: "The master's name in the sentinels' configuration (with `REDIS_SENTINELS` only)." },
  { name: 'REDIS_SENTINEL_PASSWORD', default: 'unset', meaning: 'Password of the sentinels themselves (with `REDIS_SENTINELS` only).' },
  {
    name: 'REDIS_PASSWORD',
    default: 'unset',
    meaning: 'Password of the master and replicas the sentinels name (with `REDIS_SENTINELS` only; a URL carries its own).',
  },
  {
    name: 'REDIS_WAIT_REPLICAS',
    default: '`1` with a cluster or sentinels, else `0`',
    integer: { min: 0, max: 5 },
    meaning:
      'Replicas that must acknowledge a write (`WAIT`) before the store answers; 0 waits for none. On Sentinel (above 0) a write waits for every replica the master keeps in sync, at least this many. See [Scaling out](../operations/scaling.md).',
  },
  {
    name: 'REDIS_WAIT_TIMEOUT',
    integer: { min: 10, max: 10000, fallback: 500 },
    meaning: 'Milliseconds a write waits for those replicas before it fails (503, nothing acknowledged).',
  },
  {
    name: 'STORE',
    default: 'from the Redis settings',
    meaning: '`redis` (needs one of them) or `memory` (the embedded store: one process only, state lost on restart; contradicts a Redis setting).',
  },
  { name: 'REDIS_KEY_PREFIX', default: '`tokensmith:`', meaning: 'Prefix of every Redis key, so one Redis can serve several deployments.' },
  {
    name: 'KEYS_DIR',
    default: '`./keys`',
    meaning:
      "Folder of the signing keys (PKCS#8 PEM: RSA for RS256, P-256 for ES256) and their schedule `keys.json`. A relative path is read against the service's folder (the one holding `package.json`), from wherever the service or the CLI is started.",
  },
  { name: 'SIGNING_ALG', default: '`RS256`', meaning: 'The algorithm of new keys: `RS256` (RSA-2048) or `ES256` (P-256); see Signing keys.' },
  { name: 'JWKS_MAX_AGE', integer: { min: 0, max: 86400, fallback: 300 }, meaning: 'Seconds verifiers may cache the JWKS (its `Cache-Control: max-age`).' },
  { name: 'KEYS_RELOAD_INTERVAL', integer: { min: 1, max: 3600, fallback: 10 }, meaning: 'Seconds between checks of `KEYS_DIR` for rotated or retired keys.' },
  {
    name: 'KEY_ROTATION_INTERVAL',
    integer: { min: 0, max: 31536000, fallback: 0 },
    meaning:
      'Seconds a signing key signs before a new one is made (0: off, keys change only by `keys rotate`; else at least 3600). The new key signs after `KEYS_RELOAD_INTERVAL` + `JWKS_MAX_AGE`; the old one is then retired and stays published until its last token expires. One instance takes each step (a claim in the store); `KEYS_DIR` must be one writable folder every instance shares.',
  },
  { name: 'ACCESS_TOKEN_TTL', integer: { min: 30, max: 86400, fallback: 900 }, meaning: 'Access token lifetime in seconds (30 to 86400).' },
  { name: 'DEFAULT_AUDIENCE', default: '`api`', meaning: 'The `aud` of tokens for clients without an `audience`.' },
  {
    name: 'CLIENTS_FILE',
    default: 'unset',
    meaning: "Path of the clients JSON file (a relative path is read against the service's folder, as `KEYS_DIR`); unset: the single public client `web`.",
  },
  {
    name: 'REGISTRATION',
    default: '`open`',
    meaning: '`closed` answers `POST /account/register` (and the registration page) with 403. Production warns at start while it is `open`.',
  },
  {
    name: 'CLIENT_REGISTRATION',
    default: '`closed`',
    meaning:
      'Dynamic client registration at `/oauth/register` (RFC 7591, RFC 7592): `closed` (no endpoint), `initial-access-token` (a bearer token with the `client_registration` scope, a client_credentials token of a client you allow it, must come with each registration; confidential clients may be made), or `open` (anyone, public clients only, limited per IP). Registered clients are third-party, use the authorization code grant with PKCE, and get tokens for this service unless they name a resource. See [Protecting an API or MCP server](../guides/protecting-an-api.md#dynamic-client-registration).',
  },
  {
    name: 'REQUIRE_PUSHED_AUTHORIZATION_REQUESTS',
    default: '`false`',
    meaning:
      '`true`: every authorization request must be pushed first (RFC 9126: `POST /oauth/par`, then `/oauth/authorize` with `client_id` and `request_uri` alone); a client can require it for itself with `require_pushed_authorization_requests`.',
  },
  {
    name: 'PROFILE',
    default: '`none`',
    meaning:
      '`fapi2`: the FAPI 2.0 Security Profile. Every authorization request is pushed (PAR) with PKCE, every token is bound with DPoP, every client is confidential with `private_key_jwt`, with the `authorization_code` grant (and `refresh_token`) for people or `client_credentials` for services, and https redirect URIs, client assertions and DPoP proofs are PS256, ES256 or EdDSA, and tokens are signed with ES256. The service refuses to start with a setting or a `CLIENTS_FILE` client that contradicts it, and refuses any other client it meets. See [the FAPI 2.0 profile](../guides/dpop.md#the-fapi-20-profile).',
  },
  {
    name: 'REQUIRE_DPOP',
    default: '`false`',
    meaning:
      "`true`: every token request must carry a DPoP proof (RFC 9449), so every access token is bound to its client's key (`token_type` `DPoP`) and a stolen one is useless without that key; a client can require it for itself with `dpop_bound_access_tokens`. Off, a client that sends a proof gets a bound token and one that does not gets a bearer token. See [Sender-constrained tokens](../guides/dpop.md).",
  },
  {
    name: 'DPOP_NONCE_KEY',
    default: 'unset',
    meaning:
      '32 random bytes (base64, base64url or 64 hex digits): set, the token endpoint requires a server nonce in every DPoP proof (RFC 9449 §8), made from this key and the time and rotating every two minutes, so a proof cannot be made ahead of its use; every instance needs the same key. Unset: no nonce is asked for. Never logged.',
  },
  {
    name: 'DEVICE_CODE_TTL',
    integer: { min: 60, max: 1800, fallback: 600 },
    meaning:
      'Seconds a device authorization request (RFC 8628: a CLI, a TV, an agent signing in through `/device`) waits for its person to enter the user code and approve.',
  },
  {
    name: 'DEVICE_CODE_INTERVAL',
    integer: { min: 1, max: 60, fallback: 5 },
    meaning: 'Seconds a device waits between polls of the token endpoint (RFC 8628 §3.5); a poll sooner is `slow_down` and adds five.',
  },
  {
    name: 'CLIENT_ID_METADATA_DOCUMENTS',
    default: '`off`',
    meaning:
      '`on`: a `client_id` that is an https URL names a client ID metadata document there (the IETF draft MCP recommends), read through the request-forgery guard (https only, public addresses only, no redirects, 5 KB, 5 s), kept as long as its Cache-Control says (a day at most, five minutes when it says nothing), and made a public third-party client by the rules of dynamic registration. See [Protecting an API or MCP server](../guides/protecting-an-api.md#client-id-metadata-documents).',
  },
  {
    name: 'CLIENT_METADATA_ALLOW_LOOPBACK',
    default: '`false`',
    meaning:
      '`true` lets client ID metadata documents be read from loopback addresses, for development; refused in production. Private and link-local addresses are never read.',
  },
  {
    name: 'CLIENT_METADATA_CA_FILE',
    default: 'unset',
    meaning: 'A PEM file of certificate authorities trusted, beside the system’s, for the hosts of client ID metadata documents.',
  },
  {
    name: 'CLIENT_REGISTRATION_MAX',
    integer: { min: 1, max: 100000, fallback: 1000 },
    meaning: 'The most registered clients the store holds at once; a registration past it is 503 `temporarily_unavailable`.',
  },
  {
    name: 'CLIENT_REGISTRATION_IDLE_TTL',
    integer: { min: 3600, max: 315360000, fallback: 7776000 },
    meaning:
      'Seconds a self-registered client (RFC 7591) may go unused (no request of its own at the token, revocation or introspection endpoint) before it is deleted, with the consents given it; 90 days by default.',
  },
  {
    name: 'REGISTRATION_EMAIL',
    default: '`optional`',
    meaning: 'Whether registration asks for an email address: `optional`, `required`, or `off` (no field). See [Email](../guides/email.md).',
  },
  {
    name: 'SIGN_IN_REQUIRES_VERIFIED_EMAIL',
    default: '`false`',
    meaning:
      '`true` refuses a password sign-in (login page, password grant) until the account has a verified address, mailing a new link when it does; registration then signs nobody in. Needs mail (`MAIL_TRANSPORT` not `off`) and `REGISTRATION_EMAIL=required`.',
  },
  {
    name: 'EMAIL_VERIFICATION_TTL',
    integer: { min: 300, max: 2592000, fallback: 86400 },
    meaning: 'Seconds an email verification link works (a day).',
  },
  {
    name: 'PASSWORD_RESET_TTL',
    integer: { min: 300, max: 86400, fallback: 1800 },
    meaning: 'Seconds a password reset link works (30 minutes); a password change by any route voids it sooner.',
  },
  {
    name: 'MFA_SECRET_KEY',
    default: 'unset',
    meaning:
      "32 random bytes (base64, base64url or 64 hex digits) that seal the secrets the service must read back at rest (AES-256-GCM): authenticator apps' keys, and the client secrets of providers added through the admin API; every instance needs the same. Unset: they are stored as they are (production warns at start). Never logged. See [Multi-factor sign-in](../guides/multi-factor.md).",
  },
  {
    name: 'PROVIDERS_FILE',
    default: 'unset',
    meaning:
      'A JSON array of upstream OpenID Connect providers people may sign in through ("Continue with …" on the login page): `id`, `name`, `issuer`, `client_id`, `client_secret_env` (the name of an environment variable holding the secret) or `client_secret`, `scope` (with `openid`), optionally `icon`, `userinfo`, `create_accounts`, `trust_email` and `claims`. Register `<ISSUER>/login/<id>/callback` at the provider. Providers can be added at runtime too (`/admin/providers`). See [Federation](../guides/federation.md).',
  },
  {
    name: 'RESOURCES_FILE',
    default: 'unset',
    meaning:
      'A JSON array of protected resources (APIs, MCP servers) clients may ask tokens for with `resource` (RFC 8707): `resource` (the identifier, an https URL; the tokens\' `aud`), optionally `name`, `scopes` (those it accepts), `clients` (ids that may ask, or `"*"`) and `exchanged_by` (ids that may exchange its tokens for another resource’s, RFC 8693). Each gets RFC 9728 metadata at `/.well-known/oauth-protected-resource<path>`. See [Protecting an API or MCP server](../guides/protecting-an-api.md).',
  },
  {
    name: 'MFA',
    default: '`optional`',
    meaning:
      '`optional`: each person may add passkeys or an authenticator app, and is then asked for them. `required`: everyone must: a sign-in of an account without a second factor goes to the account page to add one before any application gets a code, and the password grant is refused. `off`: no second factors at all (none can be added, none is asked for, no passkey sign-in; those added before stay stored, unused). See [Multi-factor sign-in](../guides/multi-factor.md#policy).',
  },
  {
    name: 'PASSKEY_RP_ID',
    default: "the issuer's host",
    meaning:
      "The WebAuthn relying party id passkeys are bound to: the issuer's host, or a registrable suffix of it (`example.com` for `https://login.example.com`) so passkeys survive a move between subdomains. Passkeys are off when the issuer's host is an IP address or a single label (but `localhost`) and this is unset, and when the issuer is http off `localhost` and `PASSKEY_ORIGINS` is unset (browsers allow WebAuthn in a secure context only). See [Multi-factor sign-in](../guides/multi-factor.md).",
  },
  {
    name: 'PASSKEY_ORIGINS',
    default: "the issuer's origin",
    meaning:
      'Comma-separated origins whose pages may use passkeys (https, on `PASSKEY_RP_ID` or a subdomain of it); the hosted pages run at the issuer, so set this only when a proxy serves them elsewhere too.',
  },
  {
    name: 'MAIL_TRANSPORT',
    default: '`folder` outside production, else `off`',
    meaning:
      '`smtp` sends through `SMTP_URL`; `folder` (development only) writes each mail to `MAIL_FOLDER` and logs its links; `off` sends nothing (no reset links, no verification). Production refuses `folder`, and refuses `off` while `REGISTRATION_EMAIL=required`.',
  },
  {
    name: 'SMTP_URL',
    default: 'unset',
    meaning:
      'The SMTP server, with `MAIL_TRANSPORT=smtp`: `smtp://host:587` (STARTTLS when the server offers it) or `smtps://host:465` (TLS from the start); credentials in the URL or in `SMTP_USER` and `SMTP_PASSWORD`. Never logged.',
  },
  {
    name: 'SMTP_CA_FILE',
    default: 'unset',
    meaning:
      "A PEM file of certificate authorities to trust for the SMTP server's certificate (STARTTLS or `smtps://`) besides the system's, for a relay with a private CA; read as `KEYS_DIR` is. The certificate is always verified.",
  },
  { name: 'SMTP_USER', default: 'unset', meaning: 'The SMTP user, when not in `SMTP_URL`.' },
  { name: 'SMTP_PASSWORD', default: 'unset', meaning: 'The SMTP password, when not in `SMTP_URL`. Never logged.' },
  {
    name: 'MAIL_FROM',
    default: "`no-reply@` the issuer's host, outside production",
    meaning: 'The sender of every mail (`Example <no-reply@example.com>`); required with `MAIL_TRANSPORT=smtp` in production.',
  },
  { name: 'MAIL_FOLDER', default: '`./mail`', meaning: 'Where `MAIL_TRANSPORT=folder` writes mails (`.eml` files), read as `KEYS_DIR` is.' },
  {
    name: 'MAIL_TEMPLATES_DIR',
    default: 'unset',
    meaning:
      'A folder of mail templates that replace the shipped ones, by name (`verify_email.subject`, `verify_email.txt`, `verify_email.html`…); see [Email](../guides/email.md#templates). A template with an unknown placeholder stops the start.',
  },
  {
    name: 'MAIL_LOCALE_FILE',
    default: 'unset',
    meaning:
      "The mails' words in another language: a JSON file with the keys of the English shipped (`npm run cli -- mail-messages` prints it), named by its language tag (`de.json`). A missing or unknown key, or a message that lost a placeholder, stops the start.",
  },
  {
    name: 'MAIL_NEW_BROWSER_NOTICE',
    default: '`false`',
    meaning:
      '`true` mails the owner when their account signs in on the login page from a browser it has not signed in from (in 400 days), with the time, IP address and browser.',
  },
  {
    name: 'MAIL_RETRY_DELAY',
    integer: { min: 1, max: 3600, fallback: 5 },
    meaning: 'Seconds before a mail the server refused or could not take is tried again; each later try waits twice as long, at most 10 minutes.',
  },
  {
    name: 'MAIL_MAX_ATTEMPTS',
    integer: { min: 1, max: 100, fallback: 15 },
    meaning: 'Tries of one mail before it is given up as failed (15: about an hour and a half of retries).',
  },
  {
    name: 'REFRESH_TOKEN_TTL',
    integer: { min: 60, max: 31622400, fallback: 2592000 },
    meaning: 'Absolute session lifetime in seconds (30 days); rotation never extends it.',
  },
  {
    name: 'REFRESH_IDLE_TTL',
    integer: { min: 60, max: 31622400, fallback: 604800 },
    meaning: 'Seconds a session may go unused (7 days); each refresh renews it.',
  },
  {
    name: 'REFRESH_REUSE_GRACE',
    integer: { min: 0, max: 300, fallback: 10 },
    meaning: 'Seconds after a rotation in which the spent token still refreshes (0 to 300; 0 turns it off).',
  },
  {
    name: 'ALLOWED_ORIGINS',
    default: 'empty',
    meaning:
      'Comma-separated browser origins (`https://app.example.com`) allowed CORS with credentials (on the JSON endpoints for browser apps only) and the refresh cookie.',
  },
  { name: 'COOKIE_SECURE', default: '`true`', meaning: '`false` only for plain-http development: no `Secure`, no `__Secure-` or `__Host-` prefix.' },
  {
    name: 'SIGN_IN_TTL',
    integer: { min: 60, max: 2592000, fallback: 86400 },
    meaning: 'Seconds a sign-in (the browser session at this service) lives at most.',
  },
  { name: 'SIGN_IN_IDLE_TTL', integer: { min: 60, max: 2592000, fallback: 28800 }, meaning: 'Seconds a sign-in may go unused before it ends.' },
  {
    name: 'METRICS_PORT',
    default: 'unset',
    integer: { min: 0, max: 65535 },
    meaning: 'The port of the Prometheus metrics listener (`GET /metrics`); unset: no metrics.',
  },
  { name: 'METRICS_HOST', default: '`127.0.0.1`', meaning: 'Where the metrics listener binds.' },
  { name: 'ADMIN_PORT', default: 'unset', integer: { min: 0, max: 65535 }, meaning: "The port of the admin API's listener (`/admin/*`); unset: no admin API." },
  { name: 'ADMIN_HOST', default: '`127.0.0.1`', meaning: 'Where the admin listener binds. Keep it off the public network.' },
  { name: 'RATE_LIMIT_ADMIN_IP', integer: { min: 1, max: 1000000, fallback: 600 }, meaning: 'Admin API requests per client IP per minute.' },
  {
    name: 'AUDIT_LOG',
    default: '`stdout`',
    meaning: 'The audit log (see Operations): `stdout` at info, `off`, or the lowest level written (`debug` adds `token_refreshed`).',
  },
  {
    name: 'REVOCATION_UNAVAILABLE',
    default: '`reject`',
    meaning: 'What forward-auth does when it cannot check the revocation lists: `reject` (503, fail closed) or `accept`.',
  },
  {
    name: 'ARGON2_MEMORY_KIB',
    integer: { min: 8, max: 4194304, fallback: ARGON2_MINIMUM.memoryCost },
    meaning: 'argon2id memory (KiB); at least 19456 in production.',
  },
  { name: 'ARGON2_TIME_COST', integer: { min: 1, max: 100, fallback: ARGON2_MINIMUM.timeCost }, meaning: 'argon2id iterations; at least 2 in production.' },
  { name: 'ARGON2_PARALLELISM', integer: { min: 1, max: 16, fallback: ARGON2_MINIMUM.parallelism }, meaning: 'argon2id lanes.' },
  {
    name: 'ARGON2_MAX_CONCURRENT',
    default: 'cores, at most 4',
    integer: { min: 1, max: 256 },
    meaning:
      "argon2 computations at once (each holds `ARGON2_MEMORY_KIB`); more wait in line. One per core is the most that adds throughput; 4 is libuv's thread pool.",
  },
  {
    name: 'ARGON2_QUEUE_TIMEOUT',
    integer: { min: 0, max: 60000, fallback: 2000 },
    meaning: 'Milliseconds a login may wait for a hashing slot before 503 with `Retry-After`.',
  },
  { name: 'RATE_LIMIT', default: '`on`', meaning: '`off` turns every request limit off (benchmarks only).' },
  {
    name: 'RATE_LIMIT_LOGIN_IP',
    integer: { min: 1, max: 1000000, fallback: 30 },
    meaning: 'Password checks per client IP per minute: the password grant, the login form, and password changes (API and account page).',
  },
  { name: 'RATE_LIMIT_LOGIN_USER', integer: { min: 1, max: 1000000, fallback: 10 }, meaning: 'The same password checks per username (normalized) per minute.' },
  {
    name: 'LOGIN_FREE_FAILURES',
    integer: { min: 1, max: 100, fallback: 5 },
    meaning: 'Failed logins per account before attempts must be spaced (2, 4, 8 … 60 s).',
  },
  { name: 'LOGIN_MAX_FAILURES', integer: { min: 1, max: 100, fallback: 100 }, meaning: 'Failed logins per account per hour (ASVS 2.2.1; at most 100).' },
  { name: 'RATE_LIMIT_REGISTER_IP', integer: { min: 1, max: 1000000, fallback: 20 }, meaning: 'Registrations per client IP per hour.' },
  { name: 'RATE_LIMIT_REGISTER_USER', integer: { min: 1, max: 1000000, fallback: 5 }, meaning: 'Registration attempts per username per hour.' },
  {
    name: 'RATE_LIMIT_CLIENT_REGISTRATION_IP',
    integer: { min: 1, max: 1000000, fallback: 10 },
    meaning: 'Client registrations (`POST /oauth/register`, RFC 7591) per client IP per hour.',
  },
  {
    name: 'RATE_LIMIT_USER_CODE_IP',
    integer: { min: 1, max: 1000000, fallback: 30 },
    meaning: 'User codes entered at `/device` (RFC 8628 §5.1: guesses) per client IP per hour.',
  },
  {
    name: 'RATE_LIMIT_USER_CODE_ACCOUNT',
    integer: { min: 1, max: 1000000, fallback: 20 },
    meaning: 'User codes entered at `/device` per signed-in account per hour, from whatever address.',
  },
  {
    name: 'RATE_LIMIT_RESET_IP',
    integer: { min: 1, max: 1000000, fallback: 20 },
    meaning: 'Password reset requests (the "Forgot password?" form) per client IP per hour.',
  },
  {
    name: 'RATE_LIMIT_RESET_ACCOUNT',
    integer: { min: 1, max: 1000000, fallback: 3 },
    meaning:
      'Reset mails per account per hour, and reset requests per name or address typed; past it the form answers the same and sends nothing, so it tells nobody whether the account exists.',
  },
  {
    name: 'RATE_LIMIT_TOKEN_IP',
    integer: { min: 1, max: 1000000, fallback: 600 },
    meaning: 'Token requests of every other grant (`authorization_code`, `refresh_token`, `client_credentials`, and unknown ones) per client IP per minute.',
  },
  {
    name: 'RATE_LIMIT_OTHER_IP',
    integer: { min: 1, max: 1000000, fallback: 3000 },
    meaning:
      'Every other limited request per client IP per minute: authorization, the hosted pages and their forms, end-session, UserInfo, logout, revocation, introspection and the revocation feed.',
  },
  {
    name: 'RATE_LIMIT_IPV6_PREFIX',
    integer: { min: 32, max: 128, fallback: DEFAULT_IPV6_PREFIX },
    meaning: 'Prefix length (32 to 128) an IPv6 client is counted under by every per-IP limit; IPv4 and IPv4-mapped addresses count per address.',
  },
  {
    name: 'TRUST_PROXY',
    default: 'empty',
    meaning: 'Comma-separated addresses or CIDRs of proxies whose `X-Forwarded-For` is believed; empty: the socket address is the client.',
  },
  {
    name: 'REDIS_COMMAND_TIMEOUT',
    integer: { min: 50, max: 60000, fallback: 2000 },
    meaning: 'Milliseconds a Redis call may take before the request answers 503.',
  },
  {
    name: 'REDIS_CONNECT_TIMEOUT',
    integer: { min: 0, max: 86_400, fallback: 0 },
    meaning:
      'Seconds the service waits at start for Redis to answer before it exits with one line naming the Redis variable (exit code 1); 0 waits as long as it takes. Meanwhile it listens: `/healthz` answers 200, `/readyz` 503 with what it waits for, every other request 503 `temporarily_unavailable`, and `waiting for Redis at …` is logged after a second and every 10 s.',
  },
  {
    name: 'PAGES_PRODUCT_NAME',
    default: 'unset',
    meaning: 'The product name shown above every hosted page (sign-in, registration, consent, account) and in its title; unset: none.',
  },
  {
    name: 'PAGES_LOGO_FILE',
    default: 'unset',
    meaning: 'A logo (`.png`, `.svg`, `.jpg`, `.webp`, at most 256 KiB) shown beside the product name, served by the service itself at `/assets/logo`.',
  },
  {
    name: 'PAGES_STYLESHEET_FILE',
    default: 'unset',
    meaning:
      "A stylesheet of your own (at most 256 KiB), served at `/assets/operator.css` and linked after the service's, so its rules win; the pages' CSP allows it (`style-src 'self'`). See [Branding the pages](../guides/browser-sign-in.md#branding-the-pages).",
  },
  {
    name: 'PAGES_LOCALES_DIR',
    default: 'unset',
    meaning:
      "A folder of translations of the hosted pages, one `<language tag>.json` each (`de.json`, `pt-BR.json`) with the keys of the English shipped (`npm run cli -- messages` prints it); a page speaks the first language of the request's `ui_locales`, else of its `Accept-Language`, that a file serves, else English. A file with an unknown key or a lost placeholder stops the start. See [Branding the pages](../guides/browser-sign-in.md#branding-the-pages).",
  },
  {
    name: 'HSTS_MAX_AGE',
    default: 'a year when `ISSUER` is https, else 0',
    integer: { min: 0, max: 63072000 },
    meaning: '`Strict-Transport-Security` max-age; 0 sends none.',
  },
] as const satisfies readonly Setting[];

/** The name of a variable of the configuration. */
export type SettingName = (typeof SETTINGS)[number]['name'];

const BY_NAME: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((setting) => [setting.name, setting]));

/** The schema of one variable. */
export function settingOf(name: SettingName): Setting {
  return BY_NAME.get(name)!;
}

/** The reference's Default column of a setting. */
function documentedDefault(setting: Setting): string {
  if (setting.default !== undefined) return setting.default;
  return setting.integer?.fallback === undefined ? '' : `\`${setting.integer.fallback}\``;
}

/** docs/reference/configuration.md, rendered from the schema (`npm run docs:config` writes it). */
export function renderConfigurationReference(): string {
  const rows = SETTINGS.map((setting: Setting) => `| \`${setting.name}\` | ${documentedDefault(setting)} | ${setting.meaning} |`);
  return `# Configuration

Every setting the service reads from its environment. This page is generated from the configuration schema,
\`src/settings.ts\`, by \`npm run docs:config\`; \`test/docs/configuration-reference.test.ts\` fails when the page, the
schema and \`src/config.ts\` differ.

Environment variables, validated at start: a bad value stops the start with one line naming the variable
(\`configuration error: PORT: expected a whole number from 0 to 65535, got "abc"\`) and exit code 1. A variable that
looks like one of these but is none (\`ACCES_TOKEN_TTL\`, \`REDIS_HOST\`) is ignored with a warning at start, naming
the setting it most likely means; its value is never logged. Relative paths (\`KEYS_DIR\`, \`CLIENTS_FILE\`) are read
against the service's folder, the one that holds \`package.json\`.

| Variable | Default | Meaning |
| --- | --- | --- |
${rows.join('\n')}
`;
}

/** The word that begins at least two settings' names (`REDIS_`, `RATE_`, `ARGON2_`…): a family a new variable of it most likely means to join. */
const FAMILIES: readonly string[] = (() => {
  const counts = new Map<string, number>();
  for (const { name } of SETTINGS) {
    const family = /^[A-Z0-9]+_/.exec(name)?.[0];
    if (family !== undefined) counts.set(family, (counts.get(family) ?? 0) + 1);
  }
  return [...counts].filter(([, count]) => count >= 2).map(([family]) => family);
})();

/** What a platform puts into the environment for a service named like ours (Kubernetes, Docker links): never a setting. */
const PLATFORM_VARIABLES = /_(SERVICE_HOST|SERVICE_PORT(_\w+)?|PORT(_\d+_(TCP|UDP)(_\w+)?)?)$/;

/** Levenshtein distance, for names of a few dozen characters. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The variables of an environment that look like settings of this service but are none: a name within two edits of
 * a setting's (underscores aside), with the setting it most likely means, or a name of one of the settings' families
 * (`REDIS_HOST`). A misspelled setting is otherwise silently ignored, and its default used.
 */
export function unknownSettings(env: Readonly<Record<string, string | undefined>>): Array<{ name: string; meant?: string }> {
  const found: Array<{ name: string; meant?: string }> = [];
  for (const name of Object.keys(env)) {
    if (BY_NAME.has(name) || PLATFORM_VARIABLES.test(name) || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    const bare = name.replaceAll('_', '');
    let meant: string | undefined;
    let nearest = Infinity;
    for (const setting of SETTINGS) {
      const distance = editDistance(bare, setting.name.replaceAll('_', ''));
      if (distance < nearest) [nearest, meant] = [distance, setting.name];
    }
    if (bare.length >= 5 && nearest <= 2) found.push({ name, meant: meant! });
    else if (FAMILIES.some((family) => name.startsWith(family))) found.push({ name });
  }
  return found;
}
