import type { SecondStepRecord, SecondStepStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import { pairsToObject, type RECORD_SCRIPTS } from './lua.js';

function stepFromHash(hash: Record<string, string>): SecondStepRecord | undefined {
  if (!hash.user_id) return undefined;
  return {
    userId: hash.user_id,
    amr: (hash.amr ?? '').split(' ').filter(Boolean),
    ...(hash.return_to === undefined ? {} : { returnTo: hash.return_to }),
    ...(hash.authenticated_for === undefined ? {} : { authenticatedFor: hash.authenticated_for }),
    createdAt: Number(hash.created_at),
  };
}

/** Second steps in Redis: a hash per step, by its cookie secret's hash, expiring with it. */
export class RedisSecondSteps implements SecondStepStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<typeof RECORD_SCRIPTS>,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  create(secretHash: string, record: SecondStepRecord, ttlMs: number): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.secondStep(secretHash);
      const fields = ['user_id', record.userId, 'amr', record.amr.join(' '), 'created_at', String(record.createdAt)];
      if (record.returnTo !== undefined) fields.push('return_to', record.returnTo);
      if (record.authenticatedFor !== undefined) fields.push('authenticated_for', record.authenticatedFor);
      await this.durable([key], () => this.client.putHash([key], [String(ttlMs), ...fields]));
    });
  }

  get(secretHash: string): Promise<SecondStepRecord | undefined> {
    return this.guard(async () => stepFromHash(await this.client.hGetAll(this.keys.secondStep(secretHash))));
  }

  take(secretHash: string): Promise<SecondStepRecord | undefined> {
    return this.guard(async () => {
      const key = this.keys.secondStep(secretHash);
      return stepFromHash(pairsToObject(await this.durable([key], () => this.client.takeHash([key], []))));
    });
  }
}
