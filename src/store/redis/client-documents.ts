import { hash } from 'node:crypto';
import type { ClientDocumentStore } from '../types.js';
import type { Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';

/** Client ID metadata documents in Redis: a string per URL (by its SHA-256), expiring with the document's max-age. */
export class RedisClientDocuments implements ClientDocumentStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<Record<never, never>>,
    private readonly keys: RedisKeys,
  ) {}

  get(url: string): Promise<string | undefined> {
    return this.guard(async () => (await this.client.get(this.#key(url))) ?? undefined);
  }

  put(url: string, document: string, ttlSeconds: number): Promise<void> {
    // A cache: a document lost in a failover is fetched again, so the write waits for no replica.
    return this.guard(async () => {
      await this.client.set(this.#key(url), document, { EX: Math.max(1, Math.floor(ttlSeconds)) });
    });
  }

  #key(url: string): string {
    return this.keys.clientDocument(hash('sha256', url, 'base64url'));
  }
}
