import type { SignInRecord, SignInStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** Milliseconds a record may live: its idle time, never past its absolute end. */
function lifetimeMs(expiresAt: number, idleTtl: number, nowMs: number): number {
  return Math.min(expiresAt * 1000 - nowMs, idleTtl * 1000);
}

/** Sign-ins in process memory, expiring as the Redis store's do. */
export class MemorySignIns implements SignInStore {
  readonly #signIns: ExpiringMap<SignInRecord>;
  /** Each user's sign-ins, by secret hash; ended and expired ones are dropped as they are found. */
  readonly #byUser = new Map<string, Set<string>>();
  /** Wrong passwords sent from each sign-in (the account page's password change). */
  readonly #passwordFailures = new Map<string, number>();

  constructor(private readonly clock: () => number) {
    this.#signIns = new ExpiringMap(clock);
  }

  async create(secretHash: string, record: SignInRecord, idleTtl: number): Promise<void> {
    this.#signIns.set(secretHash, { ...record }, Math.max(1, lifetimeMs(record.expiresAt, idleTtl, this.clock())));
    const hashes = this.#byUser.get(record.userId) ?? new Set<string>();
    hashes.add(secretHash);
    this.#byUser.set(record.userId, hashes);
  }

  async endAllForUser(userId: string, keepHash?: string): Promise<number> {
    let ended = 0;
    const hashes = this.#byUser.get(userId) ?? new Set<string>();
    for (const hash of hashes) {
      if (hash === keepHash) continue;
      if (this.#signIns.get(hash)) ended += 1;
      this.#signIns.delete(hash);
      hashes.delete(hash);
    }
    return ended;
  }

  async isLive(secretHash: string, id: string): Promise<boolean> {
    return this.#signIns.get(secretHash)?.id === id;
  }

  async countPasswordFailure(secretHash: string): Promise<number> {
    if (!this.#signIns.get(secretHash)) {
      this.#passwordFailures.delete(secretHash);
      return 0;
    }
    const count = (this.#passwordFailures.get(secretHash) ?? 0) + 1;
    this.#passwordFailures.set(secretHash, count);
    return count;
  }

  async use(secretHash: string, idleTtl: number, now: number): Promise<SignInRecord | undefined> {
    const record = this.#signIns.get(secretHash);
    if (!record) return undefined;
    const left = lifetimeMs(record.expiresAt, idleTtl, this.clock());
    if (left <= 0) {
      this.#signIns.delete(secretHash);
      return undefined;
    }
    const used = { ...record, lastUsedAt: now };
    this.#signIns.set(secretHash, used, left);
    return { ...used };
  }

  async end(secretHash: string): Promise<SignInRecord | undefined> {
    const record = this.#signIns.get(secretHash);
    this.#signIns.delete(secretHash);
    return record && { ...record };
  }

  sweep(): void {
    this.#signIns.sweep();
  }
}
