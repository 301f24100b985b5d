import type { KnownBrowserStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** Known browsers in process memory: each user's set of browser hashes, expiring as the Redis hash does. */
export class MemoryKnownBrowsers implements KnownBrowserStore {
  readonly #browsers: ExpiringMap<Set<string>>;

  constructor(clock: () => number) {
    this.#browsers = new ExpiringMap(clock);
  }

  async remember(userId: string, browserHash: string, ttlMs: number): Promise<boolean> {
    const known = this.#browsers.get(userId) ?? new Set<string>();
    const added = !known.has(browserHash);
    known.add(browserHash);
    this.#browsers.set(userId, known, ttlMs);
    return added;
  }

  sweep(): void {
    this.#browsers.sweep();
  }
}
