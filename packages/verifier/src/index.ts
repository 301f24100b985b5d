/**
 * The verifier package: what another Node service imports to verify this service's access tokens
 * without the rest of the server. `import { createVerifier } from '@tokensmith/verifier'`; the Fastify
 * plugin is `@tokensmith/verifier/fastify`.
 */
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { accessTokenVerifyOptions, hasAccessTokenClaimTypes } from './shared/access-token-claims.js';
import { MAX_CLOCK_TOLERANCE, VERIFY_CLOCK_TOLERANCE } from './shared/clock-tolerance.js';
import { isWellFormedJws } from './shared/jws-structure.js';
import { VerifierError } from './errors.js';
import { issuerKeys } from './issuer-keys.js';
import type { VerifiedToken, Verifier, VerifierOptions, VerifyRequirements } from './types.js';
import { RevocationFeed } from './revocation-feed.js';
import { isAcrValue, unmetAuthentication } from './shared/authentication-requirement.js';
import { checkDpopProof, confirmedKey, DpopProofError, DPOP_PROOF_WINDOW } from './shared/dpop-proof.js';
import { ProofReplays } from './proof-replays.js';

export { VerifierError, type VerifierErrorCode } from './errors.js';
export type { PresentedProof, VerifiedToken, Verifier, VerifierOptions, VerifyRequirements } from './types.js';
export { ACR_VALUES, type AcrValue, type AuthenticationRequirement } from './shared/authentication-requirement.js';

/**
 * Creates a verifier: RS256 or ES256 with a published key of that alg, typ at+jwt (RFC 9068 §4), the exact issuer, one of the audiences,
 * expiry with a small leeway, and the claims this service always issues. Keys come from the JWKS,
 * cached, refetched on an unknown kid with a cooldown, so a flood of unknown kids causes no flood of fetches.
 * An unreachable issuer is `temporarily_unavailable`, never `invalid_token` (issuerKeys).
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const issuer = options.issuer.replace(/\/+$/, '');
  const fetcher = options.fetch ?? fetch;
  const clockTolerance = Math.min(options.clockTolerance ?? VERIFY_CLOCK_TOLERANCE, MAX_CLOCK_TOLERANCE);
  const keys = issuerKeys({
    issuer,
    jwksUrl: options.jwksUrl,
    timeout: options.timeout ?? 5000,
    cacheMaxAge: options.jwks?.cacheMaxAge ?? 600_000,
    cooldownDuration: options.jwks?.cooldownDuration ?? 30_000,
    fetch: fetcher,
  });
  const feed =
    options.revocations && new RevocationFeed({ ...options.revocations, url: options.revocations.url ?? `${issuer}/oauth/revocations`, fetch: fetcher });
  const whenUnavailable = options.revocations?.whenUnavailable ?? 'reject';
  const replays = new ProofReplays();
  const firstUse = options.dpop?.firstUse ?? ((id: string) => Promise.resolve(replays.firstUse(id, Math.floor(Date.now() / 1000))));

  /**
   * The binding of a token to the key of the proof it came with (RFC 9449 §7.1): a bound token needs a proof (htm,
   * htu, ath, its key the one `cnf.jkt` names, used once); an unbound one cannot come as DPoP; a bound one cannot
   * come as a bearer token (§7.2).
   */
  async function checkBinding(token: string, payload: JWTPayload, presented: VerifyRequirements['dpop']): Promise<string | undefined> {
    const bound = confirmedKey(payload);
    if (presented === undefined) {
      if (bound !== undefined) throw new VerifierError('invalid_token', 'the access token is bound to a DPoP key: send it with a proof');
      return undefined;
    }
    if (bound === undefined) throw new VerifierError('invalid_token', 'the access token is not bound to a DPoP key');
    if (presented.proof === undefined || presented.proof.includes(',')) throw new VerifierError('invalid_dpop_proof', 'send exactly one DPoP proof');
    let proof;
    try {
      proof = await checkDpopProof(presented.proof, { method: presented.method, url: presented.url, accessToken: token, now: Math.floor(Date.now() / 1000) });
    } catch (error) {
      if (error instanceof DpopProofError) throw new VerifierError('invalid_dpop_proof', error.message);
      throw error;
    }
    if (proof.jkt !== bound) throw new VerifierError('invalid_dpop_proof', "the DPoP proof's key is not the one the access token is bound to");
    if (!(await firstUse(`dpop:${proof.jkt}:${proof.jti}`, 2 * DPOP_PROOF_WINDOW)))
      throw new VerifierError('invalid_dpop_proof', 'the DPoP proof was used already');
    return bound;
  }

  async function verify(token: string, requirements: VerifyRequirements = {}): Promise<VerifiedToken> {
    const demanded = requirements.authentication;
    // A misspelled requirement is the caller's bug: thrown as such, never a silent pass.
    if (demanded?.acr !== undefined && !isAcrValue(demanded.acr)) throw new TypeError(`unknown acr ${String(demanded.acr)}: expected pwd or mfa`);
    if (demanded?.maxAge !== undefined && !(Number.isInteger(demanded.maxAge) && demanded.maxAge >= 0))
      throw new TypeError('maxAge must be whole seconds, 0 or more');
    if (!isWellFormedJws(token)) throw new VerifierError('invalid_token', 'the access token is malformed');
    let payload: JWTPayload;
    try {
      // Every published key carries its alg, and a key verifies only tokens of its own alg (jose matches the
      // header's alg against the JWK's), so what passes is exactly the algorithms of the published keys.
      ({ payload } = await jwtVerify(token, keys, accessTokenVerifyOptions({ issuer, audience: options.audience, clockTolerance })));
    } catch (error) {
      if (error instanceof VerifierError) throw error;
      if (error instanceof errors.JOSEError || error instanceof TypeError) throw new VerifierError('invalid_token', 'the access token is invalid or expired');
      throw error;
    }
    if (!hasAccessTokenClaimTypes(payload)) throw new VerifierError('invalid_token', 'the access token has malformed claims');
    const { sub, jti, client_id: clientId, scope, sid } = payload;
    if (feed) {
      if (!feed.ready && whenUnavailable === 'reject') throw new VerifierError('temporarily_unavailable', 'the revocation feed is unavailable');
      if (feed.ready && feed.has(jti, sid)) throw new VerifierError('invalid_token', 'the access token is revoked');
    }
    const dpopJkt = await checkBinding(token, payload, requirements.dpop);
    if (demanded !== undefined) {
      const unmet = unmetAuthentication(payload, demanded, Math.floor(Date.now() / 1000));
      if (unmet !== undefined) throw new VerifierError('insufficient_user_authentication', unmet, demanded);
    }
    return {
      sub,
      jti,
      clientId,
      scope: scope ? scope.split(' ') : [],
      sid,
      acr: payload.acr,
      amr: payload.amr ?? [],
      authTime: payload.auth_time,
      dpopJkt,
      claims: payload,
    };
  }

  return {
    verify,
    ready: () => feed?.whenReady() ?? Promise.resolve(),
    close: () => feed?.close(),
  };
}
