import type { ClientDocumentStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** Client ID metadata documents in process memory, expiring as in Redis. */
export class MemoryClientDocuments implements ClientDocumentStore {
  readonly #documents: ExpiringMap<string>;

  constructor(clock: () => number = Date.now) {
    this.#documents = new ExpiringMap(clock);
  }

  async get(url: string): Promise<string | undefined> {
    return this.#documents.get(url);
  }

  async put(url: string, document: string, ttlSeconds: number): Promise<void> {
    this.#documents.set(url, document, Math.max(1, Math.floor(ttlSeconds)) * 1000);
  }
}
