import type { DeviceApproval, DeviceAuthorizationRecord, DeviceAuthorizationStore, DevicePoll } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import { luaScript, pairsToObject } from './lua.js';

// KEYS: request. ARGV: TTL ms, field pairs… A user code names one request at a time: a taken one is refused.
const CREATE_DEVICE_REQUEST = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`);

// KEYS: request. ARGV: now (epoch ms), 'approved' or 'denied', then for an approval the user id, auth_time and amr.
// Only a waiting, unexpired request is answered, and only once.
const DECIDE_DEVICE_REQUEST = luaScript(`
local state = redis.call('HMGET', KEYS[1], 'status', 'expires')
if state[1] ~= 'pending' or tonumber(ARGV[1]) >= tonumber(state[2]) then return 0 end
if ARGV[2] == 'denied' then
  redis.call('HSET', KEYS[1], 'status', 'denied')
else
  redis.call('HSET', KEYS[1], 'status', 'approved', 'user_id', ARGV[3], 'auth_time', ARGV[4], 'amr', ARGV[5])
end
return 1`);

// KEYS: request. ARGV: the device secret's hash, now (epoch ms), the polling client. RFC 8628 §3.5: a poll within the interval is
// slow_down and the interval grows by five seconds; an approved request is spent by the poll that finds it.
const POLL_DEVICE_REQUEST = luaScript(`
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {'invalid'} end
local state = redis.call('HMGET', KEYS[1], 'secret', 'status', 'expires', 'interval', 'polled', 'client_id')
if state[1] ~= ARGV[1] or state[6] ~= ARGV[3] or state[2] == 'spent' then return {'invalid'} end
local now = tonumber(ARGV[2])
if now >= tonumber(state[3]) then return {'expired'} end
if state[2] == 'denied' then return {'denied', h} end
if state[2] == 'approved' then
  redis.call('HSET', KEYS[1], 'status', 'spent')
  return {'approved', h}
end
local interval = tonumber(state[4])
local early = state[5] and now - tonumber(state[5]) < interval * 1000
redis.call('HSET', KEYS[1], 'polled', ARGV[2])
if not early then return {'pending', h} end
redis.call('HSET', KEYS[1], 'interval', tostring(interval + 5))
return {'slow_down', redis.call('HGETALL', KEYS[1])}`);

/** The device authorization scripts, by the name the Redis client gives each. */
export const DEVICE_AUTHORIZATION_SCRIPTS = {
  createDeviceRequest: CREATE_DEVICE_REQUEST,
  decideDeviceRequest: DECIDE_DEVICE_REQUEST,
  pollDeviceRequest: POLL_DEVICE_REQUEST,
};

/** What this module sends: the plain commands and its own scripts. */
type Client = ScriptClient<typeof DEVICE_AUTHORIZATION_SCRIPTS>;

function recordFromHash(hash: Record<string, string>): DeviceAuthorizationRecord {
  return {
    clientId: hash.client_id ?? '',
    scope: hash.scope ?? '',
    ...(hash.resource === undefined ? {} : { resource: hash.resource }),
    deviceSecretHash: hash.secret ?? '',
    expiresAt: Number(hash.expires),
    interval: Number(hash.interval),
  };
}

/** Device authorization requests in Redis: a hash per user code, expiring some time after the codes do. */
export class RedisDeviceAuthorizations implements DeviceAuthorizationStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  create(userCode: string, record: DeviceAuthorizationRecord, ttlMs: number): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.deviceRequest(userCode);
      const fields: Record<string, string> = {
        client_id: record.clientId,
        scope: record.scope,
        secret: record.deviceSecretHash,
        expires: String(record.expiresAt),
        interval: String(record.interval),
        status: 'pending',
      };
      if (record.resource !== undefined) fields.resource = record.resource;
      const created = await this.durable([key], () => this.client.createDeviceRequest([key], [String(ttlMs), ...Object.entries(fields).flat()]));
      return created === 1;
    });
  }

  pending(userCode: string, now: number): Promise<DeviceAuthorizationRecord | undefined> {
    return this.guard(async () => {
      const hash = await this.client.hGetAll(this.keys.deviceRequest(userCode));
      if (hash.status !== 'pending' || now >= Number(hash.expires)) return undefined;
      return recordFromHash(hash);
    });
  }

  decide(userCode: string, decision: DeviceApproval | 'denied', now: number): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.deviceRequest(userCode);
      const args =
        decision === 'denied' ? [String(now), 'denied'] : [String(now), 'approved', decision.userId, String(decision.authTime), decision.amr.join(' ')];
      return (await this.durable([key], () => this.client.decideDeviceRequest([key], args))) === 1;
    });
  }

  poll(userCode: string, device: { clientId: string; secretHash: string }, now: number): Promise<DevicePoll> {
    return this.guard(async () => {
      // A spending poll a failover lost would let the approval be collected twice.
      const key = this.keys.deviceRequest(userCode);
      const [outcome, flat] = (await this.durable([key], () => this.client.pollDeviceRequest([key], [device.secretHash, String(now), device.clientId]))) as [
        DevicePoll['outcome'],
        unknown,
      ];
      if (outcome === 'invalid' || outcome === 'expired') return { outcome };
      const hash = pairsToObject(flat);
      const record = recordFromHash(hash);
      if (outcome !== 'approved') return { outcome, record };
      const approval = { userId: hash.user_id ?? '', authTime: Number(hash.auth_time), amr: (hash.amr ?? '').split(' ').filter(Boolean) };
      return { outcome, record, approval };
    });
  }
}
