import type { Durable, Guard, ScriptClient } from './commands.js';
import { pairsToObject, type RECORD_SCRIPTS } from './lua.js';

/** How a record is written as a Redis hash's fields, and read back (undefined for a hash that is not one). */
export interface HashCodec<Record> {
  fields(record: Record): string[];
  read(hash: { [field: string]: string }): Record | undefined;
}

/**
 * Records that live a while and are spent once (second steps, passkey challenges, mailed links): a hash per record,
 * keyed by the hash of its secret, expiring with it; `take` reads and deletes in one script, so of two concurrent
 * takers on any instances, one gets it.
 */
export class RedisOneTimeRecords<Record> {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<typeof RECORD_SCRIPTS>,
    private readonly durable: Durable,
    private readonly keyOf: (secretHash: string) => string,
    private readonly codec: HashCodec<Record>,
  ) {}

  create(secretHash: string, record: Record, ttlMs: number): Promise<void> {
    return this.guard(async () => {
      const key = this.keyOf(secretHash);
      await this.durable([key], () => this.client.putHash([key], [String(ttlMs), ...this.codec.fields(record)]));
    });
  }

  /** The live record; reads only. */
  get(secretHash: string): Promise<Record | undefined> {
    return this.guard(async () => this.codec.read(await this.client.hGetAll(this.keyOf(secretHash))));
  }

  /** Spends the record, once. */
  take(secretHash: string): Promise<Record | undefined> {
    return this.guard(async () => {
      const key = this.keyOf(secretHash);
      return this.codec.read(pairsToObject(await this.durable([key], () => this.client.takeHash([key], []))));
    });
  }
}
