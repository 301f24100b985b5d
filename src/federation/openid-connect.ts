import * as oidc from 'openid-client';
import type { UpstreamProvider } from './provider.js';
import type { CallbackChecks, FederationFailure, UpstreamProtocol } from './upstream-protocol.js';

/** Seconds an upstream must answer in (discovery, the token endpoint, userinfo). */
const UPSTREAM_TIMEOUT = 10;

/**
 * Upstream OpenID Connect providers through openid-client, which speaks the protocol: discovery, the authorization
 * code grant with PKCE S256, state, nonce, the RFC 9207 `iss` check when the provider advertises it, ID token
 * validation, userinfo.
 */
export class OpenIdConnectProtocol implements UpstreamProtocol {
  /** Each provider entry's metadata (a changed entry is a new object, so it is discovered afresh). */
  readonly #configurations = new WeakMap<UpstreamProvider, Promise<oidc.Configuration>>();
  /** The origin of each discovered provider's authorization endpoint. */
  readonly #authorizationOrigins = new WeakMap<UpstreamProvider, string>();

  async begin(provider: UpstreamProvider, callbackUrl: string): Promise<{ url: URL; checks: CallbackChecks }> {
    const configuration = await this.#configuration(provider);
    const checks = { codeVerifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: callbackUrl,
      scope: provider.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url, checks };
  }

  async complete(
    provider: UpstreamProvider,
    callback: URL,
    checks: CallbackChecks,
  ): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; reason: FederationFailure }> {
    if (callback.searchParams.get('error') === 'access_denied') return { ok: false, reason: 'denied' };
    let claims: Record<string, unknown>;
    try {
      const configuration = await this.#configuration(provider);
      const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      if (provider.userinfo) {
        // The ID token's claims win: userinfo only completes them (and its sub must match, OpenID Connect Core §5.3.2).
        const info = await oidc.fetchUserInfo(configuration, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (error) {
      return { ok: false, reason: isUnreachable(error) ? 'unavailable' : 'invalid' };
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') return { ok: false, reason: 'invalid' };
    return { ok: true, claims };
  }

  /** The authorization endpoint's origin once discovered, else the issuer's. */
  authorizationOrigin(provider: UpstreamProvider): string {
    return this.#authorizationOrigins.get(provider) ?? new URL(provider.issuer).origin;
  }

  /** The provider's metadata through discovery, once per provider entry (a failure is retried at the next sign-in). */
  #configuration(provider: UpstreamProvider): Promise<oidc.Configuration> {
    let configuration = this.#configurations.get(provider);
    if (configuration === undefined) {
      const loopback = new URL(provider.issuer).protocol === 'http:';
      // openid-client checks that the metadata's issuer is the configured one (Discovery §4.3). The ID token's signature
      // is checked against the provider's published keys too, though OpenID Connect Core §3.1.3.7 lets TLS stand in for
      // it: a token endpoint that is impersonated or misconfigured must not sign anyone in.
      const execute = [oidc.enableNonRepudiationChecks, ...(loopback ? [oidc.allowInsecureRequests] : [])];
      configuration = oidc.discovery(new URL(provider.issuer), provider.clientId, provider.clientSecret, undefined, { timeout: UPSTREAM_TIMEOUT, execute });
      configuration.then(
        (discovered) => {
          const endpoint = discovered.serverMetadata().authorization_endpoint;
          if (endpoint !== undefined) this.#authorizationOrigins.set(provider, new URL(endpoint).origin);
        },
        () => this.#configurations.delete(provider),
      );
      this.#configurations.set(provider, configuration);
    }
    return configuration;
  }
}

/** Whether a failure is the provider's absence (a connection refused, a timeout, a 5xx), not a verdict on the answer. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof TypeError || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))) return true;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 500;
}
