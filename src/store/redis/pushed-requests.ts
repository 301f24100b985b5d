import type { PushedRequestRecord, PushedRequestStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { RedisOneTimeRecords, type HashCodec } from './one-time-records.js';

const PUSHED_REQUEST: HashCodec<PushedRequestRecord> = {
  fields(record) {
    return ['client_id', record.clientId, 'params', JSON.stringify(record.params), 'started', record.started ? '1' : '0'];
  },
  read(hash) {
    if (!hash.client_id || hash.params === undefined) return undefined;
    return { clientId: hash.client_id, params: JSON.parse(hash.params) as Record<string, string>, started: hash.started === '1' };
  },
};

/** Pushed authorization requests in Redis: a hash per request_uri, by its secret's hash, expiring with it. */
export class RedisPushedRequests extends RedisOneTimeRecords<PushedRequestRecord> implements PushedRequestStore {
  constructor(guard: Guard, client: ScriptClient<typeof RECORD_SCRIPTS>, keys: RedisKeys, durable: Durable) {
    super(guard, client, durable, keys.pushedRequest, PUSHED_REQUEST);
  }
}
