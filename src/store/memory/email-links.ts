import type { EmailLinkRecord, EmailLinkStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** Emailed links in process memory: each method runs without an await, so each is atomic. */
export class MemoryEmailLinks implements EmailLinkStore {
  readonly #links: ExpiringMap<EmailLinkRecord>;

  constructor(clock: () => number) {
    this.#links = new ExpiringMap(clock);
  }

  async create(secretHash: string, record: EmailLinkRecord, ttlMs: number): Promise<void> {
    this.#links.set(secretHash, { ...record }, ttlMs);
  }

  async peek(secretHash: string): Promise<EmailLinkRecord | undefined> {
    const record = this.#links.get(secretHash);
    return record && { ...record };
  }

  async take(secretHash: string): Promise<EmailLinkRecord | undefined> {
    const record = this.#links.get(secretHash);
    this.#links.delete(secretHash);
    return record && { ...record };
  }

  sweep(): void {
    this.#links.sweep();
  }
}
