import type { AuthorizationCodeRecord, AuthorizationCodeStore, CodeRedemption } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** A code, whether it was redeemed, and the session its redemption started. */
interface StoredCode {
  record: AuthorizationCodeRecord;
  redeemed: boolean;
  sid: string | undefined;
}

/** Authorization codes in process memory: each method runs without an await, so each is atomic. */
export class MemoryCodes implements AuthorizationCodeStore {
  readonly #codes: ExpiringMap<StoredCode>;

  constructor(clock: () => number) {
    this.#codes = new ExpiringMap(clock);
  }

  async create(codeHash: string, record: AuthorizationCodeRecord, ttlMs: number): Promise<void> {
    this.#codes.set(codeHash, { record: { ...record }, redeemed: false, sid: undefined }, ttlMs);
  }

  async redeem(codeHash: string, keepMs: number): Promise<CodeRedemption> {
    const stored = this.#codes.get(codeHash);
    if (!stored) return { outcome: 'invalid' };
    if (stored.redeemed) return { outcome: 'replayed', code: { ...stored.record }, sid: stored.sid };
    this.#codes.set(codeHash, { ...stored, redeemed: true }, keepMs);
    return { outcome: 'redeemed', code: { ...stored.record } };
  }

  async linkSession(codeHash: string, sid: string): Promise<void> {
    const stored = this.#codes.get(codeHash);
    const ttl = this.#codes.ttl(codeHash);
    if (stored && ttl !== undefined) this.#codes.set(codeHash, { ...stored, sid }, ttl);
  }

  sweep(): void {
    this.#codes.sweep();
  }
}
