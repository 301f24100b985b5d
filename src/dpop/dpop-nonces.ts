import { createHmac, timingSafeEqual } from 'node:crypto';

/** Seconds one nonce is handed out; the one before stays good as long again, so a nonce lives two to four minutes. */
const NONCE_PERIOD = 120;

/**
 * Server nonces for DPoP proofs (RFC 9449 §8): an HMAC of the current two-minute period under DPOP_NONCE_KEY, so every
 * instance with the key makes and accepts the same nonces without a store, and nobody without it can make tomorrow's.
 * A proof must carry the current nonce or the one before it, so no proof can be made ahead of its use.
 */
export class DpopNonces {
  constructor(
    private readonly key: Buffer,
    private readonly clock: () => number,
  ) {}

  /** The nonce to hand out now (the `DPoP-Nonce` header). */
  current(): string {
    return this.#nonceOf(this.#period());
  }

  /** Whether a proof's nonce is the current one or the one before it. */
  accepts(nonce: string | undefined): boolean {
    if (nonce === undefined) return false;
    const period = this.#period();
    return this.#equal(nonce, this.#nonceOf(period)) || this.#equal(nonce, this.#nonceOf(period - 1));
  }

  #period(): number {
    return Math.floor(this.clock() / 1000 / NONCE_PERIOD);
  }

  #nonceOf(period: number): string {
    return createHmac('sha256', this.key).update(`dpop-nonce:${period}`).digest('base64url').slice(0, 32);
  }

  #equal(given: string, expected: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
