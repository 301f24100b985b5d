import type { PushedRequestRecord, PushedRequestStore } from '../types.js';
import { MemoryOneTimeRecords } from './one-time-records.js';

/** Pushed authorization requests in process memory. */
export class MemoryPushedRequests extends MemoryOneTimeRecords<PushedRequestRecord> implements PushedRequestStore {
  constructor(clock: () => number) {
    super(clock, (record) => ({ ...record, params: { ...record.params } }));
  }

  async start(secretHash: string, clientId: string, ttlMs: number): Promise<PushedRequestRecord | undefined> {
    const held = await this.get(secretHash);
    const record = held?.clientId === clientId ? held : undefined;
    // No await between the read and the write below (get resolves at once): atomic, as every method here.
    if (record !== undefined && !record.started) await this.create(secretHash, { ...record, started: true }, ttlMs);
    return record;
  }
}
