import type { AttemptRecord, LoginFailureStore, RateLimitStore, Reservation } from '../types.js';
import type { Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { luaScript } from './lua.js';

// KEYS: counter. ARGV: window ms. The window starts with the first hit; a key that lost its TTL gets it back.
const HIT = luaScript(`
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`);

// KEYS: attempt record. ARGV: expected count, now ms, window ms. Counts only while the record holds the
// expected count; answers {counted, count, last_at, pttl}, or {0} when there is no record.
const RESERVE = luaScript(`
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
local counted = 0
if count == tonumber(ARGV[1]) then
  counted = 1
  count = redis.call('HINCRBY', KEYS[1], 'count', 1)
  redis.call('HSET', KEYS[1], 'last_at', ARGV[2])
  if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
if count == 0 then return {counted} end
return {counted, count, redis.call('HGET', KEYS[1], 'last_at'), redis.call('PTTL', KEYS[1])}`);

/** The rate-limit and login-attempt scripts, by the name the Redis client gives each. */
export const LIMIT_SCRIPTS = { hitRateLimit: HIT, reserveAttempt: RESERVE };

/** What this module sends: the plain commands, the record scripts and its own. */
type Client = ScriptClient<typeof LIMIT_SCRIPTS & typeof RECORD_SCRIPTS>;

/** Rate-limit counters in Redis: one atomic round trip per hit, shared by every instance. */
export class RedisRateLimits implements RateLimitStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
  ) {}

  hit(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }> {
    return this.guard(async () => {
      const [current, ttlMs] = (await this.client.hitRateLimit([this.keys.rateLimit(key)], [String(windowMs)])) as [number, number];
      return { current, ttlMs };
    });
  }
}

/** Password-attempt records in Redis: a hash per account key, expiring with its window. */
export class RedisLoginFailures implements LoginFailureStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
  ) {}

  reserve(key: string, expected: number, now: number, windowMs: number): Promise<Reservation> {
    return this.guard(async () => {
      const reply = (await this.client.reserveAttempt([this.keys.loginFailures(key)], [String(expected), String(now), String(windowMs)])) as [
        number,
        number?,
        string?,
        number?,
      ];
      const [counted, count, lastAt, ttl] = reply;
      const record: AttemptRecord | undefined = count === undefined ? undefined : { count, lastAt: Number(lastAt), resetsInMs: Math.max(0, ttl ?? 0) };
      return { counted: counted === 1, record };
    });
  }

  clear(key: string): Promise<void> {
    return this.guard(async () => {
      await this.client.del(this.keys.loginFailures(key));
    });
  }
}
