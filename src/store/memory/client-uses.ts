import type { ClientUseStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** When self-registered clients were last used, in process memory, expiring as in Redis. */
export class MemoryClientUses implements ClientUseStore {
  readonly #marks: ExpiringMap<true>;

  constructor(clock: () => number = Date.now) {
    this.#marks = new ExpiringMap(clock);
  }

  async touch(clientId: string, ttlSeconds: number): Promise<void> {
    this.#marks.set(clientId, true, ttlSeconds * 1000);
  }

  async inUse(clientIds: readonly string[]): Promise<Set<string>> {
    return new Set(clientIds.filter((clientId) => this.#marks.has(clientId)));
  }

  sweep(): void {
    this.#marks.sweep();
  }
}
