import type { RotationRequest, RotationResult, SessionOptions, SessionRecord, SessionStore } from '../types.js';
import { LuaScript, type Guard, type RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';
import { RECORD_REVOCATION } from './revocation-lua.js';

// KEYS: session, user's session set[, first refresh token]. ARGV: session TTL ms, absolute ms left, sid, field pairs…
const CREATE = new LuaScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if #KEYS == 3 then redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[2]) end
return 1`);

// One atomic step for rotation, the reuse grace, reuse detection and revocation (RFC 9700 §4.14.2). The newest
// token's predecessor gets the same successor again within the grace, or while that successor has not been handed out.
// KEYS: the presented token's lookup key. ARGV: prefix, token hash, client id, new hash, sealed successor,
// clock offset ms, grace ms, idle TTL s, revoked TTL s. Key names match keys.ts. Every time it compares is
// Redis's own (TIME) when the script runs, so a rotation that runs late after a stall is stamped late too;
// the offset is 0 unless the service runs on a moved clock (tests).
const ROTATE = new LuaScript(`${RECORD_REVOCATION}
local p = ARGV[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[6])
local sid = redis.call('GET', KEYS[1])
if not sid then return {'invalid'} end
local skey = p .. 'session:' .. sid
local f = redis.call('HMGET', skey, 'client_id', 'cur', 'prev', 'rotated_at', 'expires_at', 'user_id', 'sealed', 'delivered')
if not f[1] or f[1] ~= ARGV[3] then return {'invalid'} end
local function revoke()
  redis.call('DEL', skey)
  redis.call('SREM', p .. 'user-sessions:' .. f[6], sid)
  record_revocation(p, 'sid', sid, ARGV[9])
end
local disabled = redis.call('HGET', p .. 'user:' .. f[6], 'disabled')
if (not disabled) or disabled == '1' then
  revoke()
  return {'inactive_user', sid}
end
local left = tonumber(f[5]) * 1000 - now
if left <= 0 then return {'invalid'} end
local ttl = math.min(left, tonumber(ARGV[8]) * 1000)
if ARGV[2] == f[2] then
  redis.call('HSET', skey, 'prev', f[2], 'cur', ARGV[4], 'rotated_at', now, 'sealed', ARGV[5], 'last_used_at', math.floor(now / 1000))
  redis.call('PEXPIRE', skey, ttl)
  redis.call('SET', p .. 'refresh:' .. ARGV[4], sid, 'PX', left)
  return {'rotated', redis.call('HGETALL', skey)}
end
if f[3] and ARGV[2] == f[3] and (now - tonumber(f[4]) <= tonumber(ARGV[7]) or f[8] ~= f[2]) then
  redis.call('HSET', skey, 'last_used_at', math.floor(now / 1000))
  redis.call('PEXPIRE', skey, ttl)
  return {'grace', redis.call('HGETALL', skey), f[7]}
end
revoke()
return {'reused', sid}`);

// KEYS: session. ARGV: prefix, sid, revoked TTL s.
const END = new LuaScript(`${RECORD_REVOCATION}
local h = redis.call('HGETALL', KEYS[1])
local uid = redis.call('HGET', KEYS[1], 'user_id')
if uid then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', ARGV[1] .. 'user-sessions:' .. uid, ARGV[2])
end
record_revocation(ARGV[1], 'sid', ARGV[2], ARGV[3])
return h`);

// KEYS: the user's session set. ARGV: prefix, revoked TTL s, sid to keep ('' for none).
const END_ALL = new LuaScript(`${RECORD_REVOCATION}
local n = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if sid ~= ARGV[3] then
    n = n + redis.call('DEL', ARGV[1] .. 'session:' .. sid)
    record_revocation(ARGV[1], 'sid', sid, ARGV[2])
    redis.call('SREM', KEYS[1], sid)
  end
end
return n`);

// KEYS: session. ARGV: token hash. Marks the current token as handed out, only while it is still the current one.
const MARK_DELIVERED = new LuaScript(`
if redis.call('HGET', KEYS[1], 'cur') == ARGV[1] then redis.call('HSET', KEYS[1], 'delivered', ARGV[1]) end
return 1`);

// KEYS: session. The count lives in the session's hash, so it ends with the session.
const COUNT_PASSWORD_FAILURE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'password_failures', 1)`);

function pairsToObject(flat: unknown): Record<string, string> {
  const list = flat as string[];
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) result[list[i]!] = list[i + 1]!;
  return result;
}

function sessionFromHash(hash: Record<string, string>): SessionRecord | undefined {
  if (!hash.sid) return undefined;
  return {
    sid: hash.sid,
    userId: hash.user_id ?? '',
    clientId: hash.client_id ?? '',
    scope: hash.scope ?? '',
    createdAt: Number(hash.created_at),
    lastUsedAt: Number(hash.last_used_at),
    expiresAt: Number(hash.expires_at),
    userAgent: hash.user_agent ?? '',
    ip: hash.ip ?? '',
  };
}

function sessionFields(session: SessionRecord, refreshTokenHash: string | undefined): string[] {
  return [
    'sid', session.sid,
    'user_id', session.userId,
    'client_id', session.clientId,
    'scope', session.scope,
    'created_at', String(session.createdAt),
    'last_used_at', String(session.lastUsedAt),
    'expires_at', String(session.expiresAt),
    'user_agent', session.userAgent,
    'ip', session.ip,
    'cur', refreshTokenHash ?? '',
  ];
}

/** Sessions in Redis: a hash per session, a lookup key per refresh token hash, a set of sids per user. */
export class RedisSessions implements SessionStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    readonly prefix: string,
    private readonly clock: () => number,
  ) {}

  create(session: SessionRecord, options: SessionOptions): Promise<void> {
    return this.guard(async () => {
      const left = session.expiresAt * 1000 - this.clock();
      const ttl = Math.max(1, Math.min(left, options.idleTtl * 1000));
      const keys = [this.keys.session(session.sid), this.keys.userSessions(session.userId)];
      if (options.refreshTokenHash) keys.push(this.keys.refresh(options.refreshTokenHash));
      await CREATE.run(this.client, keys, [String(ttl), String(Math.max(1, left)), session.sid, ...sessionFields(session, options.refreshTokenHash)]);
    });
  }

  get(sid: string): Promise<SessionRecord | undefined> {
    return this.guard(async () => sessionFromHash(await this.client.hGetAll(this.keys.session(sid))));
  }

  findByRefreshToken(tokenHash: string): Promise<{ session: SessionRecord; current: boolean } | undefined> {
    return this.guard(async () => {
      const sid = await this.client.get(this.keys.refresh(tokenHash));
      if (sid === null) return undefined;
      const hash = await this.client.hGetAll(this.keys.session(sid));
      const session = sessionFromHash(hash);
      return session && { session, current: hash.cur === tokenHash };
    });
  }

  rotate(request: RotationRequest): Promise<RotationResult> {
    return this.guard(async () => {
      const reply = (await ROTATE.run(
        this.client,
        [this.keys.refresh(request.tokenHash)],
        [this.prefix, request.tokenHash, request.clientId, request.newTokenHash, request.sealedSuccessor, String(Math.round(this.clock() - Date.now())), String(request.graceMs), String(request.idleTtl), String(request.revokedTtl)],
      )) as unknown[];
      const outcome = reply[0] as RotationResult['outcome'];
      if (outcome === 'rotated') return { outcome, session: sessionFromHash(pairsToObject(reply[1]))! };
      if (outcome === 'grace') {
        const hash = pairsToObject(reply[1]);
        return { outcome, session: sessionFromHash(hash)!, sealedSuccessor: reply[2] as string, successorHash: hash.cur ?? '' };
      }
      if (outcome === 'reused' || outcome === 'inactive_user') return { outcome, sid: reply[1] as string };
      return { outcome: 'invalid' };
    });
  }

  listForUser(userId: string): Promise<SessionRecord[]> {
    return this.guard(async () => {
      const setKey = this.keys.userSessions(userId);
      const sids = await this.client.sMembers(setKey);
      if (sids.length === 0) return [];
      const multi = this.client.multi();
      for (const sid of sids) multi.hGetAll(this.keys.session(sid));
      const hashes = (await multi.exec()) as unknown as Array<Record<string, string>>;
      const gone = sids.filter((_sid, index) => !hashes[index]?.sid);
      // Sessions that expired leave their sid in the set; drop them as they are found.
      if (gone.length > 0) await this.client.sRem(setKey, gone);
      return hashes
        .map(sessionFromHash)
        .filter((session): session is SessionRecord => session !== undefined && session.userId === userId)
        .sort((a, b) => a.createdAt - b.createdAt || a.sid.localeCompare(b.sid));
    });
  }

  end(sid: string, revokedTtl: number): Promise<SessionRecord | undefined> {
    return this.guard(async () => sessionFromHash(pairsToObject(await END.run(this.client, [this.keys.session(sid)], [this.prefix, sid, String(revokedTtl)]))));
  }

  endAllForUser(userId: string, revokedTtl: number, keepSid?: string): Promise<number> {
    return this.guard(async () => Number(await END_ALL.run(this.client, [this.keys.userSessions(userId)], [this.prefix, String(revokedTtl), keepSid ?? ''])));
  }

  markDelivered(sid: string, tokenHash: string): Promise<void> {
    return this.guard(async () => {
      await MARK_DELIVERED.run(this.client, [this.keys.session(sid)], [tokenHash]);
    });
  }

  countPasswordFailure(sid: string): Promise<number> {
    return this.guard(async () => Number(await COUNT_PASSWORD_FAILURE.run(this.client, [this.keys.session(sid)], [])));
  }
}
