import type { PushedRequestRecord, PushedRequestStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import { luaScript, pairsToObject, type RECORD_SCRIPTS } from './lua.js';
import { RedisOneTimeRecords, type HashCodec } from './one-time-records.js';

// KEYS: request. ARGV: ms it lives once started, the client bringing it. Marks a live request of that client started,
// and only then sets its new lifetime, in one step: a take cannot fall between a read and a write and be undone by it.
const START_PUSHED_REQUEST = luaScript(`
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 or redis.call('HGET', KEYS[1], 'client_id') ~= ARGV[2] then return {} end
if redis.call('HGET', KEYS[1], 'started') ~= '1' then
  redis.call('HSET', KEYS[1], 'started', '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return h`);

/** The pushed request scripts, by the name the Redis client gives each. */
export const PUSHED_REQUEST_SCRIPTS = { startPushedRequest: START_PUSHED_REQUEST };

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
  constructor(
    private readonly guarded: Guard,
    private readonly scripts: ScriptClient<typeof RECORD_SCRIPTS & typeof PUSHED_REQUEST_SCRIPTS>,
    private readonly keys: RedisKeys,
    private readonly durability: Durable,
  ) {
    super(guarded, scripts, durability, keys.pushedRequest, PUSHED_REQUEST);
  }

  start(secretHash: string, clientId: string, ttlMs: number): Promise<PushedRequestRecord | undefined> {
    return this.guarded(async () => {
      const key = this.keys.pushedRequest(secretHash);
      const flat = await this.durability([key], () => this.scripts.startPushedRequest([key], [String(ttlMs), clientId]));
      return PUSHED_REQUEST.read(pairsToObject(flat));
    });
  }
}
