import type { KeyRing } from '../keys/keyring.js';
import { verifyAccessToken, type AccessTokenClaims, type VerifyOptions } from './verify.js';

/** How many verified tokens are remembered. */
const CAPACITY = 10_000;
/** How long a verification is remembered at most, in seconds, even for a token that lives longer. */
const MAX_AGE = 60;

/**
 * An optimisation: an entry's key is the token's last 32 characters, part of its signature, where a Map keyed by the
 * whole token would hash its ~800 characters on every lookup (about a microsecond). The entry holds the whole token
 * and a lookup compares it, so a token that shares the key only misses (and, once verified, takes the entry over).
 */
function entryKey(token: string): string {
  return token.slice(-32);
}

/**
 * Remembers successful verifications by the exact token string, so that a gateway's repeated checks of
 * the same token skip the signature. Only what passed is cached; an entry never outlives its token's
 * exp nor MAX_AGE, and everything is forgotten when the published keys change (a key retired).
 * Revocation is never cached: callers check the denylists on every request.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, { token: string; claims: AccessTokenClaims; until: number }>();
  readonly #keyring: KeyRing;
  #keysVersion = '';

  constructor(keyring: KeyRing) {
    this.#keyring = keyring;
  }

  /** The claims of a token verified before, while that verification holds; never verifies. */
  remembered(token: string, clock: () => number): AccessTokenClaims | undefined {
    const version = this.#keyring.jwks().etag;
    if (version !== this.#keysVersion) {
      this.#entries.clear();
      this.#keysVersion = version;
    }
    const hit = this.#entries.get(entryKey(token));
    return hit !== undefined && hit.token === token && hit.until > Math.floor(clock() / 1000) ? hit.claims : undefined;
  }

  /** Verifies a token, or returns the remembered result of an earlier verification. */
  async verify(token: string, options: VerifyOptions): Promise<AccessTokenClaims> {
    const remembered = this.remembered(token, options.clock);
    if (remembered !== undefined) return remembered;
    const now = Math.floor(options.clock() / 1000);
    const claims = await verifyAccessToken(token, options);
    if (this.#entries.size >= CAPACITY) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(entryKey(token), { token, claims, until: Math.min(claims.exp, now + MAX_AGE) });
    return claims;
  }
}
