import type { KeyRing } from '../keys/keyring.js';
import { verifyAccessToken, type AccessTokenClaims, type VerifyOptions } from './verify.js';

/** How many verified tokens are remembered. */
const CAPACITY = 10_000;
/** How long a verification is remembered at most, in seconds, even for a token that lives longer. */
const MAX_AGE = 60;

/**
 * Remembers successful verifications by the exact token string, so that a gateway's repeated checks of
 * the same token skip the signature. Only what passed is cached; an entry never outlives its token's
 * exp nor MAX_AGE, and everything is forgotten when the published keys change (a key retired).
 * Revocation is never cached: callers check the denylists on every request.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, { claims: AccessTokenClaims; until: number }>();
  readonly #keyring: KeyRing;
  #keysVersion = '';

  constructor(keyring: KeyRing) {
    this.#keyring = keyring;
  }

  /** Verifies a token, or returns the remembered result of an earlier verification. */
  async verify(token: string, options: VerifyOptions): Promise<AccessTokenClaims> {
    const now = Math.floor(options.clock() / 1000);
    const version = this.#keyring.jwks().etag;
    if (version !== this.#keysVersion) {
      this.#entries.clear();
      this.#keysVersion = version;
    }
    const hit = this.#entries.get(token);
    if (hit && hit.until > now) return hit.claims;
    const claims = await verifyAccessToken(token, options);
    if (this.#entries.size >= CAPACITY) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, { claims, until: Math.min(claims.exp, now + MAX_AGE) });
    return claims;
  }
}
