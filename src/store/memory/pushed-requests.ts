import type { PushedRequestRecord, PushedRequestStore } from '../types.js';
import { MemoryOneTimeRecords } from './one-time-records.js';

/** Pushed authorization requests in process memory. */
export class MemoryPushedRequests extends MemoryOneTimeRecords<PushedRequestRecord> implements PushedRequestStore {
  constructor(clock: () => number) {
    super(clock, (record) => ({ ...record, params: { ...record.params } }));
  }
}
