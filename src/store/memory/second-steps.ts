import type { SecondStepRecord, SecondStepStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** Second steps in process memory: each method runs without an await, so each is atomic. */
export class MemorySecondSteps implements SecondStepStore {
  readonly #steps: ExpiringMap<SecondStepRecord>;

  constructor(clock: () => number) {
    this.#steps = new ExpiringMap(clock);
  }

  async create(secretHash: string, record: SecondStepRecord, ttlMs: number): Promise<void> {
    this.#steps.set(secretHash, { ...record, amr: [...record.amr] }, ttlMs);
  }

  async get(secretHash: string): Promise<SecondStepRecord | undefined> {
    const record = this.#steps.get(secretHash);
    return record && { ...record, amr: [...record.amr] };
  }

  async take(secretHash: string): Promise<SecondStepRecord | undefined> {
    const record = this.#steps.get(secretHash);
    this.#steps.delete(secretHash);
    return record && { ...record, amr: [...record.amr] };
  }

  sweep(): void {
    this.#steps.sweep();
  }
}
