import type { RevocationEntry, RevocationListener, RevocationStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** The denylists in process memory, expiring as the Redis keys do; the feed is this process's own listeners. */
export class MemoryRevocations implements RevocationStore {
  readonly #lists: Record<RevocationEntry['kind'], ExpiringMap<true>>;
  readonly #listeners = new Set<RevocationListener>();
  readonly #clock: () => number;

  constructor(clock: () => number) {
    this.#clock = clock;
    this.#lists = { jti: new ExpiringMap(clock), sid: new ExpiringMap(clock) };
  }

  async revokeAccessToken(jti: string, ttlSeconds: number): Promise<void> {
    this.#record('jti', jti, ttlSeconds);
  }

  async isRevoked(token: { jti: string; sid?: string | undefined }): Promise<boolean> {
    return this.#lists.jti.has(token.jti) || (token.sid !== undefined && this.#lists.sid.has(token.sid));
  }

  async snapshot(): Promise<RevocationEntry[]> {
    const entries: RevocationEntry[] = [];
    for (const kind of ['jti', 'sid'] as const) {
      for (const [id, , expiresAt] of this.#lists[kind].entries()) entries.push({ kind, id, exp: Math.ceil(expiresAt / 1000) });
    }
    return entries;
  }

  async subscribe(listener: RevocationListener): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    listener.up();
    return async () => {
      this.#listeners.delete(listener);
    };
  }

  /** Lists an ended session's sid; the session store calls it where the Redis scripts record a revocation. */
  revokeSession(sid: string, ttlSeconds: number): void {
    this.#record('sid', sid, ttlSeconds);
  }

  sweep(): void {
    this.#lists.jti.sweep();
    this.#lists.sid.sweep();
  }

  #record(kind: RevocationEntry['kind'], id: string, ttlSeconds: number): void {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    this.#lists[kind].set(id, true, ttl * 1000);
    const entry = { kind, id, exp: Math.floor(this.#clock() / 1000) + ttl };
    for (const listener of this.#listeners) listener.entry(entry);
  }
}
