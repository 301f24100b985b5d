import { ExpiringMap } from './expiring-map.js';

/**
 * Records that live a while and are spent once, in process memory: each method runs without an await, so each is
 * atomic. `copy` makes the copies handed in and out (a record changed by its holder changes nothing here).
 */
export class MemoryOneTimeRecords<Record> {
  readonly #records: ExpiringMap<Record>;

  constructor(
    clock: () => number,
    private readonly copy: (record: Record) => Record = (record) => ({ ...record }),
  ) {
    this.#records = new ExpiringMap(clock);
  }

  async create(secretHash: string, record: Record, ttlMs: number): Promise<void> {
    this.#records.set(secretHash, this.copy(record), ttlMs);
  }

  /** The live record; reads only. */
  async get(secretHash: string): Promise<Record | undefined> {
    const record = this.#records.get(secretHash);
    return record && this.copy(record);
  }

  /** Spends the record, once. */
  async take(secretHash: string): Promise<Record | undefined> {
    const record = this.#records.get(secretHash);
    this.#records.delete(secretHash);
    return record && this.copy(record);
  }

  sweep(): void {
    this.#records.sweep();
  }
}
