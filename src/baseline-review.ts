import type { Client } from './clients/client.js';
import { ClientRegistry } from './clients/registry.js';
import type { Config } from './config.js';

/** One way the configuration departs from the OAuth 2.1 / FAPI 2.0 baseline: what, why it matters, and what fixes it. */
export interface Departure {
  /** A stable name for the check. */
  check: string;
  /** `fapi2`: only the FAPI 2.0 Security Profile asks it; `oauth21`: OAuth 2.1 and RFC 9700 (Best Current Practice) do. */
  baseline: 'oauth21' | 'fapi2';
  what: string;
  fix: string;
}

/** Access tokens living longer than this are "long" here: RFC 9700 §2.2 wants them short, and revocation lags by as much. */
const LONG_ACCESS_TOKEN = 900;

/** Refresh tokens that may live longer than this without a new sign-in are "long" here. */
const LONG_REFRESH_TOKEN = 30 * 86_400;

/** Whether a redirect URI is plain http: loopback ones are RFC 8252's native apps, which FAPI 2.0 does not serve. */
function plainHttp(uri: string): boolean {
  return uri.startsWith('http:');
}

/**
 * What in the configuration departs from the OAuth 2.1 / RFC 9700 baseline and from the FAPI 2.0 Security Profile, each
 * with the setting (or client field) that fixes it, for `npm run cli -- doctor`. Exact redirect URI matching, PKCE with
 * S256 for every client and no implicit grant hold always here, so they are never reported.
 */
export function reviewBaseline(config: Config, clients: readonly Client[]): Departure[] {
  const found: Departure[] = [];
  const add = (check: string, baseline: Departure['baseline'], what: string, fix: string) => found.push({ check, baseline, what, fix });
  for (const client of clients.filter((candidate) => candidate.grantTypes.has('password'))) {
    add(
      'password_grant',
      'oauth21',
      `client ${client.clientId} has the password grant (RFC 9700 §2.4: MUST NOT be used; OAuth 2.1 drops it)`,
      'sign in through the authorization code flow and remove "password" from its grant_types',
    );
  }
  if (!config.issuer.startsWith('https://')) add('issuer_https', 'oauth21', `ISSUER ${config.issuer} is not https`, 'ISSUER=https://…');
  if (!config.cookieSecure) add('cookie_secure', 'oauth21', 'COOKIE_SECURE=false: sign-in cookies travel without TLS', 'COOKIE_SECURE=true');
  if (!config.rateLimits.enabled) add('rate_limit', 'oauth21', 'RATE_LIMIT=off: passwords and user codes may be guessed at any speed', 'RATE_LIMIT=on');
  if (config.accessTokenTtl > LONG_ACCESS_TOKEN) {
    add(
      'access_token_ttl',
      'oauth21',
      `ACCESS_TOKEN_TTL=${config.accessTokenTtl}: a stolen token works that long`,
      `ACCESS_TOKEN_TTL=${LONG_ACCESS_TOKEN} or less`,
    );
  }
  if (config.refreshTokenTtl > LONG_REFRESH_TOKEN) {
    add(
      'refresh_token_ttl',
      'oauth21',
      `REFRESH_TOKEN_TTL=${config.refreshTokenTtl}: a session lives past ${LONG_REFRESH_TOKEN / 86_400} days`,
      `REFRESH_TOKEN_TTL=${LONG_REFRESH_TOKEN} or less`,
    );
  }
  if (config.clientRegistration.policy === 'open')
    add('open_registration', 'fapi2', 'CLIENT_REGISTRATION=open: anyone registers clients', 'CLIENT_REGISTRATION=initial-access-token or closed');
  if (config.clientMetadataDocuments.allowLoopback) {
    add('metadata_loopback', 'oauth21', 'CLIENT_METADATA_ALLOW_LOOPBACK=true: client-named URLs on this host are read', 'CLIENT_METADATA_ALLOW_LOOPBACK=false');
  }
  // FAPI 2.0 Security Profile §5.3.2.1-2: PAR, confidential clients, private_key_jwt (or mTLS), sender-constrained tokens.
  if (!config.requirePushedAuthorizationRequests) {
    add(
      'par_required',
      'fapi2',
      'authorization requests may travel through the browser',
      'REQUIRE_PUSHED_AUTHORIZATION_REQUESTS=true (or require_pushed_authorization_requests on each client)',
    );
  }
  if (!config.requireDpop) {
    add(
      'sender_constrained',
      'fapi2',
      'access tokens may be bearer tokens: a client that sends no DPoP proof gets one',
      'REQUIRE_DPOP=true (or dpop_bound_access_tokens on each client)',
    );
  }
  for (const client of clients) {
    const browser = client.grantTypes.has('authorization_code');
    if (client.type === 'confidential' && client.secretHash !== undefined) {
      add(
        'shared_secret',
        'fapi2',
        `client ${client.clientId} authenticates with a shared secret`,
        'register its public keys (jwks or jwks_uri) for private_key_jwt instead of client_secret_hash',
      );
    }
    if (browser && client.type === 'public') add('public_client', 'fapi2', `client ${client.clientId} is public`, 'a confidential client with private_key_jwt');
    const insecure = client.redirectUris.filter(plainHttp);
    if (browser && insecure.length > 0)
      add('http_redirect', 'fapi2', `client ${client.clientId} redirects to http: ${insecure.join(' ')}`, 'https redirect URIs only');
    const other = [...client.grantTypes].filter((grant) => grant !== 'authorization_code' && grant !== 'refresh_token' && grant !== 'client_credentials');
    if (browser && other.length > 0)
      add(
        'grant_types',
        'fapi2',
        `client ${client.clientId} has grants beside the code flow: ${other.join(', ')}`,
        'authorization_code (and refresh_token) only',
      );
  }
  return found;
}

/** The review of the configuration as the service would start with it: its settings and CLIENTS_FILE's clients. */
export function reviewConfiguration(config: Config): Departure[] {
  return reviewBaseline(config, ClientRegistry.load(config.clientsFile, config.defaultAudience).fileClients());
}
