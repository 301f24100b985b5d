import type { SecondStepRecord, SecondStepStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { RedisOneTimeRecords, type HashCodec } from './one-time-records.js';

const SECOND_STEP: HashCodec<SecondStepRecord> = {
  fields(record) {
    const fields = ['user_id', record.userId, 'amr', record.amr.join(' '), 'created_at', String(record.createdAt)];
    if (record.returnTo !== undefined) fields.push('return_to', record.returnTo);
    if (record.authenticatedFor !== undefined) fields.push('authenticated_for', record.authenticatedFor);
    return fields;
  },
  read(hash) {
    if (!hash.user_id) return undefined;
    return {
      userId: hash.user_id,
      amr: (hash.amr ?? '').split(' ').filter(Boolean),
      ...(hash.return_to === undefined ? {} : { returnTo: hash.return_to }),
      ...(hash.authenticated_for === undefined ? {} : { authenticatedFor: hash.authenticated_for }),
      createdAt: Number(hash.created_at),
    };
  },
};

/** Second steps in Redis: a hash per step, by its cookie secret's hash, expiring with it. */
export class RedisSecondSteps extends RedisOneTimeRecords<SecondStepRecord> implements SecondStepStore {
  constructor(guard: Guard, client: ScriptClient<typeof RECORD_SCRIPTS>, keys: RedisKeys, durable: Durable) {
    super(guard, client, durable, keys.secondStep, SECOND_STEP);
  }
}
