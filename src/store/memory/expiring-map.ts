/**
 * A map whose entries expire as Redis keys do: an expired entry is never returned (checked on read),
 * and a periodic sweep frees the memory of entries nobody reads again.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  /** Stores a value; ttlMs undefined means no expiry. */
  set(key: string, value: V, ttlMs?: number): void {
    this.#entries.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : this.#clock() + ttlMs });
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#clock()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Sets a new TTL on a live entry (Redis PEXPIRE); false when there is none. */
  expire(key: string, ttlMs: number): boolean {
    const value = this.get(key);
    if (value === undefined) return false;
    this.set(key, value, ttlMs);
    return true;
  }

  /** Milliseconds until an entry expires: undefined when absent, Infinity when it never expires (Redis PTTL). */
  ttl(key: string): number | undefined {
    if (this.get(key) === undefined) return undefined;
    return this.#entries.get(key)!.expiresAt - this.#clock();
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Every live entry with its expiry (epoch milliseconds). */
  *entries(): IterableIterator<[string, V, number]> {
    const now = this.#clock();
    for (const [key, entry] of this.#entries) if (entry.expiresAt > now) yield [key, entry.value, entry.expiresAt];
  }

  /** Drops every expired entry. */
  sweep(): void {
    const now = this.#clock();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  /** Entries stored, expired or not: for tests of the sweep. */
  get rawSize(): number {
    return this.#entries.size;
  }
}
