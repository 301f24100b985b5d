import type { RevocationStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** The denylists in process memory, expiring as the Redis keys do. */
export class MemoryRevocations implements RevocationStore {
  readonly #jtis: ExpiringMap<true>;
  readonly #sids: ExpiringMap<true>;

  constructor(clock: () => number) {
    this.#jtis = new ExpiringMap(clock);
    this.#sids = new ExpiringMap(clock);
  }

  async revokeAccessToken(jti: string, ttlSeconds: number): Promise<void> {
    this.#jtis.set(jti, true, ttlSeconds * 1000);
  }

  async isRevoked(token: { jti: string; sid?: string | undefined }): Promise<boolean> {
    return this.#jtis.has(token.jti) || (token.sid !== undefined && this.#sids.has(token.sid));
  }

  /** Lists an ended session's sid; the session store calls it as the Redis scripts set the key. */
  revokeSession(sid: string, ttlSeconds: number): void {
    this.#sids.set(sid, true, ttlSeconds * 1000);
  }

  sweep(): void {
    this.#jtis.sweep();
    this.#sids.sweep();
  }
}
