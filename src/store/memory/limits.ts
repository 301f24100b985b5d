import type { LoginFailureStore, RateLimitStore } from '../types.js';
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

/** Failed-login records in process memory. */
export class MemoryLoginFailures implements LoginFailureStore {
  readonly #failures: ExpiringMap<{ count: number; lastAt: number }>;

  constructor(clock: () => number) {
    this.#failures = new ExpiringMap(clock);
  }

  async get(key: string): Promise<{ count: number; lastAt: number; resetsInMs: number } | undefined> {
    const entry = this.#failures.get(key);
    return entry && { ...entry, resetsInMs: this.#failures.ttl(key) ?? 0 };
  }

  async record(key: string, now: number, windowMs: number): Promise<void> {
    const entry = this.#failures.get(key);
    if (entry) Object.assign(entry, { count: entry.count + 1, lastAt: now });
    else this.#failures.set(key, { count: 1, lastAt: now }, windowMs);
  }

  async clear(key: string): Promise<void> {
    this.#failures.delete(key);
  }

  sweep(): void {
    this.#failures.sweep();
  }
}
