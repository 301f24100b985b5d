import type { UpstreamProvider } from './provider.js';

/** The checks a callback must pass, kept in the browser that started the round trip: PKCE (RFC 7636), state, nonce. */
export interface CallbackChecks {
  codeVerifier: string;
  state: string;
  nonce: string;
}

/** Why a callback was refused: the person or the provider said no, a check failed, or the provider was unreachable. */
export type FederationFailure = 'denied' | 'invalid' | 'unavailable';

/**
 * How the service speaks to one kind of upstream provider: OpenID Connect (openid-connect.ts) today; a provider of
 * a plain OAuth 2.0 profile (GitHub-style: no ID token, a user API instead) would be another implementation, and the
 * flow, the accounts and the links would not change. Answers the upstream's claims; what they mean here is the caller's.
 */
export interface UpstreamProtocol {
  /** Where to send the browser to sign in at the provider, and the checks its callback must pass. */
  begin(provider: UpstreamProvider, callbackUrl: string): Promise<{ url: URL; checks: CallbackChecks }>;
  /** The claims the provider vouches for (with a non-empty `sub`), once every check of its callback passed; or why not. */
  complete(
    provider: UpstreamProvider,
    callback: URL,
    checks: CallbackChecks,
  ): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; reason: FederationFailure }>;
  /** The origin the browser is sent to (for a page's CSP form-action). */
  authorizationOrigin(provider: UpstreamProvider): string;
}
