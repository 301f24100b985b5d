import type { LoginFailureStore, RateLimitStore, Reservation } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** Rate-limit counters in process memory, windows expiring as Redis keys do. */
export class MemoryRateLimits implements RateLimitStore {
  readonly #counters: ExpiringMap<{ current: number }>;

  constructor(clock: () => number) {
    this.#counters = new ExpiringMap(clock);
  }

  async hit(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }> {
    const counter = this.#counters.get(key);
    if (!counter) {
      this.#counters.set(key, { current: 1 }, windowMs);
      return { current: 1, ttlMs: windowMs };
    }
    counter.current += 1;
    return { current: counter.current, ttlMs: this.#counters.ttl(key) ?? windowMs };
  }

  sweep(): void {
    this.#counters.sweep();
  }
}

/** Password-attempt records in process memory. */
export class MemoryLoginFailures implements LoginFailureStore {
  readonly #failures: ExpiringMap<{ count: number; lastAt: number }>;

  constructor(clock: () => number) {
    this.#failures = new ExpiringMap(clock);
  }

  async reserve(key: string, expected: number, now: number, windowMs: number): Promise<Reservation> {
    const entry = this.#failures.get(key);
    const counted = (entry?.count ?? 0) === expected;
    if (counted && entry) Object.assign(entry, { count: entry.count + 1, lastAt: now });
    else if (counted) this.#failures.set(key, { count: 1, lastAt: now }, windowMs);
    const after = this.#failures.get(key);
    return { counted, record: after && { ...after, resetsInMs: this.#failures.ttl(key) ?? 0 } };
  }

  async clear(key: string): Promise<void> {
    this.#failures.delete(key);
  }

  sweep(): void {
    this.#failures.sweep();
  }
}
