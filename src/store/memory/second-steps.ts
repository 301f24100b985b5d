import type { SecondStepRecord, SecondStepStore } from '../types.js';
import { MemoryOneTimeRecords } from './one-time-records.js';

/** Second steps in process memory. */
export class MemorySecondSteps extends MemoryOneTimeRecords<SecondStepRecord> implements SecondStepStore {
  constructor(clock: () => number) {
    super(clock, (record) => ({ ...record, amr: [...record.amr] }));
  }
}
