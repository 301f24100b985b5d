/**
 * The Lua function every script that revokes something calls, so that each revocation does the same
 * three things in the same atomic step: the denylist key (for direct checks), the revocation log (a
 * sorted set by expiry, for a feed subscriber's first snapshot) and a PUBLISH (for live subscribers).
 * The caller passes both keys (keys.ts) and the channel; `member` is `jti:<id>` or `sid:<id>`.
 */
export const RECORD_REVOCATION = `
local function record_revocation(denylist_key, log_key, channel, member, ttl)
  ttl = tonumber(ttl)
  local now = tonumber(redis.call('TIME')[1])
  local exp = now + ttl
  redis.call('SET', denylist_key, '1', 'EX', ttl)
  redis.call('ZREMRANGEBYSCORE', log_key, '-inf', now)
  redis.call('ZADD', log_key, exp, member)
  if redis.call('TTL', log_key) < ttl then redis.call('EXPIRE', log_key, ttl) end
  redis.call('PUBLISH', channel, member .. ':' .. exp)
end
`;
