/**
 * The Lua function every script that revokes something calls, so that each revocation does the same
 * three things in the same atomic step: the denylist key (for direct checks), the revocation log (a
 * sorted set by expiry, for a feed subscriber's first snapshot) and a PUBLISH (for live subscribers).
 * Key names match keys.ts; `kind` is 'jti' or 'sid'.
 */
export const RECORD_REVOCATION = `
local function record_revocation(p, kind, id, ttl)
  ttl = tonumber(ttl)
  local now = tonumber(redis.call('TIME')[1])
  local exp = now + ttl
  local log = p .. 'revocation-log'
  redis.call('SET', p .. 'revoked-' .. kind .. ':' .. id, '1', 'EX', ttl)
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now)
  redis.call('ZADD', log, exp, kind .. ':' .. id)
  if redis.call('TTL', log) < ttl then redis.call('EXPIRE', log, ttl) end
  redis.call('PUBLISH', p .. 'revocations', kind .. ':' .. id .. ':' .. exp)
end
`;
