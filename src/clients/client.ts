import { VERIFY_CLOCK_TOLERANCE } from '@tokensmith/verifier/shared';
import type { GrantType } from '../grants/grant-type.js';
import type { ClientDisplay } from './client-display.js';
import type { ClientKeys } from './client-keys.js';

/** A registered OAuth client. */
export interface Client {
  clientId: string;
  type: 'public' | 'confidential';
  /** SHA-256 of the secret, for confidential clients that authenticate with one. */
  secretHash: Buffer | undefined;
  /** The public keys of a confidential client that authenticates with private_key_jwt (RFC 7523) instead. */
  keys: ClientKeys | undefined;
  grantTypes: ReadonlySet<GrantType>;
  /** The scopes the client may ask for, in their configured order. */
  scopes: readonly string[];
  /** The `aud` of tokens issued to the client. */
  audience: readonly string[];
  refreshTokenDelivery: 'body' | 'cookie';
  /** Where authorization responses may go (authorization_code clients), compared exactly. */
  redirectUris: readonly string[];
  /** Where RP-initiated logout may send the browser afterwards. */
  postLogoutRedirectUris: readonly string[];
  /**
   * The service owner's own app (`first_party: true`, and every client with the password grant): sign-in asks no
   * consent, and its user tokens may call the account API.
   */
  firstParty: boolean;
  /** Whether its authorization requests must be pushed first (RFC 9126 §6 `require_pushed_authorization_requests`). */
  requirePushedRequests: boolean;
  /** Whether every token request of it must carry a DPoP proof (RFC 9449 §5.2 `dpop_bound_access_tokens`). */
  dpopBoundAccessTokens: boolean;
  /** Whether its sign-ins must be multi-factor (`require_mfa`): a password alone is stepped up with a second factor. */
  requireMfa: boolean;
  /** A note for operators, shown by the admin API. */
  description: string | undefined;
  /** How the client presents itself on the consent page (RFC 7591 client_name, logo_uri, client_uri, policy_uri, tos_uri). */
  display: ClientDisplay;
  /**
   * Where it is registered: CLIENTS_FILE (read-only at runtime), the store (the admin API, dynamic registration), or
   * a client ID metadata document at the URL that is its client_id.
   */
  source: 'file' | 'store' | 'document';
  /**
   * When a store client was created (epoch seconds): a token or session older than that belongs to an earlier client
   * of the same id, deleted since, and is refused.
   */
  createdAt: number | undefined;
  /** Whether it registered itself (RFC 7591): it expires when unused for CLIENT_REGISTRATION_IDLE_TTL. */
  selfRegistered: boolean;
  /** The secret a rotation replaced, accepted until `until` (epoch seconds): the rotation's grace. */
  previousSecret: { hash: Buffer; until: number } | undefined;
}

/**
 * Whether something issued at `issuedAt` (epoch seconds: a token's iat, a session's start) predates the client: it
 * belongs to an earlier client of the same id, deleted since. Instances' clocks may differ by the verification leeway,
 * so within it a token counts as the client's own (an id stays held after a deletion for longer than that).
 */
export function predates(client: Client, issuedAt: number): boolean {
  return client.createdAt !== undefined && issuedAt < client.createdAt - VERIFY_CLOCK_TOLERANCE;
}

/** The client the service runs with when no CLIENTS_FILE is given: the README's quick start uses it. */
export const DEFAULT_CLIENT_ENTRY = {
  client_id: 'web',
  type: 'public',
  grant_types: ['password', 'refresh_token'],
  scope: 'profile',
} as const;
