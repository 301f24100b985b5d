import type { ReplayStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** Once-only identifiers in process memory, expiring as in Redis. */
export class MemoryReplays implements ReplayStore {
  readonly #seen: ExpiringMap<true>;

  constructor(clock: () => number = Date.now) {
    this.#seen = new ExpiringMap(clock);
  }

  async firstUse(name: string, ttlSeconds: number): Promise<boolean> {
    if (this.#seen.has(name)) return false;
    this.#seen.set(name, true, Math.max(1, ttlSeconds) * 1000);
    return true;
  }

  sweep(): void {
    this.#seen.sweep();
  }
}
