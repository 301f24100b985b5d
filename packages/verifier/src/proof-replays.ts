import { DPOP_PROOF_WINDOW } from './shared/dpop-proof.js';

/** The most proof ids remembered: far beyond what one process verifies in two minutes, and a bound on memory. */
const CAPACITY = 100_000;

/**
 * The DPoP proofs this process has taken (RFC 9449 §11.1), by key thumbprint and jti, for as long as the proof window
 * could accept them again; a proof seen before is refused. Per process: the instances of one service each keep their
 * own, so a proof replayed at another instance within the window is caught only by the `iat` window (or a shared store
 * of the caller's, through `VerifierOptions.dpop.firstUse`).
 */
export class ProofReplays {
  readonly #seen = new Map<string, number>();

  /** True the first time a proof id is seen while it is remembered; false after. */
  firstUse(id: string, nowSeconds: number): boolean {
    const until = this.#seen.get(id);
    if (until !== undefined && until > nowSeconds) return false;
    if (this.#seen.size >= CAPACITY) this.#prune(nowSeconds);
    this.#seen.set(id, nowSeconds + 2 * DPOP_PROOF_WINDOW);
    return true;
  }

  #prune(nowSeconds: number): void {
    for (const [id, until] of this.#seen) if (until <= nowSeconds) this.#seen.delete(id);
    // Still full of live ids: the oldest go first (a Map keeps insertion order).
    for (const id of this.#seen.keys()) {
      if (this.#seen.size < CAPACITY) break;
      this.#seen.delete(id);
    }
  }
}
