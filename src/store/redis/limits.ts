import type { LoginFailureStore, RateLimitStore } from '../types.js';
import { LuaScript, type Guard, type RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';

// KEYS: counter. ARGV: window ms. The window starts with the first hit; a key that lost its TTL gets it back.
const HIT = new LuaScript(`
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`);

// KEYS: failure record. ARGV: now ms, window ms.
const RECORD_FAILURE = new LuaScript(`
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HSET', KEYS[1], 'last_at', ARGV[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return count`);

/** Rate-limit counters in Redis: one atomic round trip per hit, shared by every instance. */
export class RedisRateLimits implements RateLimitStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  hit(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }> {
    return this.guard(async () => {
      const [current, ttlMs] = (await HIT.run(this.client, [this.keys.rateLimit(key)], [String(windowMs)])) as [number, number];
      return { current, ttlMs };
    });
  }
}

/** Failed-login records in Redis: a hash per account key, expiring with its window. */
export class RedisLoginFailures implements LoginFailureStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  get(key: string): Promise<{ count: number; lastAt: number; resetsInMs: number } | undefined> {
    return this.guard(async () => {
      const redisKey = this.keys.loginFailures(key);
      const [hash, ttl] = (await this.client.multi().hGetAll(redisKey).pTTL(redisKey).exec()) as unknown as [Record<string, string>, number];
      if (!hash.count) return undefined;
      return { count: Number(hash.count), lastAt: Number(hash.last_at), resetsInMs: Math.max(0, ttl) };
    });
  }

  record(key: string, now: number, windowMs: number): Promise<void> {
    return this.guard(async () => {
      await RECORD_FAILURE.run(this.client, [this.keys.loginFailures(key)], [String(now), String(windowMs)]);
    });
  }

  clear(key: string): Promise<void> {
    return this.guard(async () => {
      await this.client.del(this.keys.loginFailures(key));
    });
  }
}
