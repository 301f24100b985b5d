import type { RotationRequest, RotationResult, SessionOptions, SessionRecord, SessionStore } from '../types.js';
import type { Guard, RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';
import { luaScript, pairsToObject } from './lua.js';
import { RECORD_REVOCATION } from './revocation-lua.js';

// KEYS: session, user's session set[, first refresh token's lookup]. ARGV: session TTL ms, absolute ms left, sid,
// the lookup's value (refreshLink), field pairs…
const CREATE = luaScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if #KEYS == 3 then redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[2]) end
return 1`);

// One atomic step for rotation, the reuse grace, reuse detection and revocation (RFC 9700 §4.14.2). The newest
// token's predecessor gets the same successor again within the grace, or while that successor has not been handed out.
// KEYS: the presented token's lookup, its session, the session's user, the user's session set, the session's
// revoked-sid entry, the revocation log, the successor's lookup. ARGV: sid, user id and the presented lookup's value
// (as read before the script, which refuses if they no longer hold), token hash, client id, new hash, sealed
// successor, clock offset ms, grace ms, idle TTL s, revoked TTL s, revocation channel, the successor lookup's
// value. Every time it compares is Redis's own
// (TIME) when the script runs, so a rotation that runs late after a stall is stamped late too; the offset is 0
// unless the service runs on a moved clock (tests).
const ROTATE = luaScript(`${RECORD_REVOCATION}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[8])
local sid = ARGV[1]
if redis.call('GET', KEYS[1]) ~= ARGV[3] then return {'invalid'} end
local f = redis.call('HMGET', KEYS[2], 'client_id', 'cur', 'prev', 'rotated_at', 'expires_at', 'user_id', 'sealed', 'delivered')
if not f[1] or f[1] ~= ARGV[5] or f[6] ~= ARGV[2] then return {'invalid'} end
local function revoke()
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[4], sid)
  record_revocation(KEYS[5], KEYS[6], ARGV[12], 'sid:' .. sid, ARGV[11])
end
local disabled = redis.call('HGET', KEYS[3], 'disabled')
if (not disabled) or disabled == '1' then
  revoke()
  return {'inactive_user', sid}
end
local left = tonumber(f[5]) * 1000 - now
if left <= 0 then return {'invalid'} end
local ttl = math.min(left, tonumber(ARGV[10]) * 1000)
if ARGV[4] == f[2] then
  redis.call('HSET', KEYS[2], 'prev', f[2], 'cur', ARGV[6], 'rotated_at', now, 'sealed', ARGV[7], 'last_used_at', math.floor(now / 1000))
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('SET', KEYS[7], ARGV[13], 'PX', left)
  return {'rotated', redis.call('HGETALL', KEYS[2])}
end
if f[3] and ARGV[4] == f[3] and (now - tonumber(f[4]) <= tonumber(ARGV[9]) or f[8] ~= f[2]) then
  redis.call('HSET', KEYS[2], 'last_used_at', math.floor(now / 1000))
  redis.call('PEXPIRE', KEYS[2], ttl)
  return {'grace', redis.call('HGETALL', KEYS[2]), f[7]}
end
revoke()
return {'reused', sid}`);

// KEYS: session, its revoked-sid entry, the revocation log[, the user's session set]. ARGV: revocation channel, sid,
// revoked TTL s[, user id as read before the script]. Lists the sid as revoked even when the session is gone.
const END = luaScript(`${RECORD_REVOCATION}
local h = redis.call('HGETALL', KEYS[1])
if #KEYS == 4 and redis.call('HGET', KEYS[1], 'user_id') == ARGV[4] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[4], ARGV[2])
end
record_revocation(KEYS[2], KEYS[3], ARGV[1], 'sid:' .. ARGV[2], ARGV[3])
return h`);

// KEYS: the user's session set, the revocation log, then per sid its session and its revoked-sid entry. ARGV:
// revocation channel, revoked TTL s, sid kept ('' for none), the sids (as read before the script). Answers -1,
// changing nothing, when the set holds a sid the caller did not pass (a session started meanwhile): read again.
const END_ALL = luaScript(`${RECORD_REVOCATION}
local given = {}
for i = 4, #ARGV do given[ARGV[i]] = true end
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if sid ~= ARGV[3] and not given[sid] then return -1 end
end
local n = 0
for i = 4, #ARGV do
  local k = 3 + (i - 4) * 2
  n = n + redis.call('DEL', KEYS[k])
  record_revocation(KEYS[k + 1], KEYS[2], ARGV[1], 'sid:' .. ARGV[i], ARGV[2])
  redis.call('SREM', KEYS[1], ARGV[i])
end
return n`);

// KEYS: session. ARGV: token hash. Marks the current token as handed out, only while it is still the current one.
const MARK_DELIVERED = luaScript(`
if redis.call('HGET', KEYS[1], 'cur') == ARGV[1] then redis.call('HSET', KEYS[1], 'delivered', ARGV[1]) end
return 1`);

// KEYS: session. The count lives in the session's hash, so it ends with the session.
const COUNT_PASSWORD_FAILURE = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'password_failures', 1)`);

/** The session scripts, by the name the Redis client gives each. */
export const SESSION_SCRIPTS = {
  createSession: CREATE,
  rotateRefreshToken: ROTATE,
  endSession: END,
  endUserSessions: END_ALL,
  markDelivered: MARK_DELIVERED,
  countPasswordFailure: COUNT_PASSWORD_FAILURE,
};

/** How often endAllForUser reads the session set again when sessions start while it ends them. */
const END_ALL_ATTEMPTS = 10;

/**
 * What a refresh token's lookup key holds: its session's sid and user id, so that a rotation can name every key
 * it touches after one read. Builds before the scripts were given their keys wrote the sid alone.
 */
function refreshLink(sid: string, userId: string): string {
  return `${sid} ${userId}`;
}

function parseRefreshLink(link: string): { sid: string; userId: string | undefined } {
  const space = link.indexOf(' ');
  return space < 0 ? { sid: link, userId: undefined } : { sid: link.slice(0, space), userId: link.slice(space + 1) };
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
    ...(hash.sign_in === undefined ? {} : { signInId: hash.sign_in }),
  };
}

function sessionFields(session: SessionRecord, refreshTokenHash: string | undefined): string[] {
  // One field name and its value per line.
  // prettier-ignore
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
    ...(session.signInId === undefined ? [] : ['sign_in', session.signInId]),
  ];
}

/** Sessions in Redis: a hash per session, a lookup key per refresh token hash, a set of sids per user. */
export class RedisSessions implements SessionStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly clock: () => number,
  ) {}

  create(session: SessionRecord, options: SessionOptions): Promise<void> {
    return this.guard(async () => {
      const left = session.expiresAt * 1000 - this.clock();
      const ttl = Math.max(1, Math.min(left, options.idleTtl * 1000));
      const keys = [this.keys.session(session.sid), this.keys.userSessions(session.userId)];
      if (options.refreshTokenHash) keys.push(this.keys.refresh(options.refreshTokenHash));
      const args = [String(ttl), String(Math.max(1, left)), session.sid, refreshLink(session.sid, session.userId)];
      await this.client.createSession(keys, [...args, ...sessionFields(session, options.refreshTokenHash)]);
    });
  }

  get(sid: string): Promise<SessionRecord | undefined> {
    return this.guard(async () => sessionFromHash(await this.client.hGetAll(this.keys.session(sid))));
  }

  findByRefreshToken(tokenHash: string): Promise<{ session: SessionRecord; current: boolean } | undefined> {
    return this.guard(async () => {
      const link = await this.client.get(this.keys.refresh(tokenHash));
      if (link === null) return undefined;
      const hash = await this.client.hGetAll(this.keys.session(parseRefreshLink(link).sid));
      const session = sessionFromHash(hash);
      return session && { session, current: hash.cur === tokenHash };
    });
  }

  rotate(request: RotationRequest): Promise<RotationResult> {
    return this.guard(async () => {
      // The script is given every key it touches, so the token's session and user are read first. A token's link
      // never changes while it exists, and the script refuses if it is gone meanwhile.
      const link = await this.client.get(this.keys.refresh(request.tokenHash));
      if (link === null) return { outcome: 'invalid' };
      const { sid, userId: linkedUser } = parseRefreshLink(link);
      const userId = linkedUser ?? (await this.client.hGet(this.keys.session(sid), 'user_id'));
      if (userId == null) return { outcome: 'invalid' };
      const keys = [
        this.keys.refresh(request.tokenHash),
        this.keys.session(sid),
        this.keys.user(userId),
        this.keys.userSessions(userId),
        this.keys.revokedSid(sid),
        this.keys.revocationLog(),
        this.keys.refresh(request.newTokenHash),
      ];
      const offset = String(Math.round(this.clock() - Date.now()));
      const args = [sid, userId, link, request.tokenHash, request.clientId, request.newTokenHash, request.sealedSuccessor, offset];
      args.push(String(request.graceMs), String(request.idleTtl), String(request.revokedTtl), this.keys.revocationChannel(), refreshLink(sid, userId));
      return rotationResult((await this.client.rotateRefreshToken(keys, args)) as unknown[]);
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
    return this.guard(async () => {
      const userId = await this.client.hGet(this.keys.session(sid), 'user_id');
      const keys = [this.keys.session(sid), this.keys.revokedSid(sid), this.keys.revocationLog()];
      const args = [this.keys.revocationChannel(), sid, String(revokedTtl)];
      if (userId != null) {
        keys.push(this.keys.userSessions(userId));
        args.push(userId);
      }
      return sessionFromHash(pairsToObject(await this.client.endSession(keys, args)));
    });
  }

  endAllForUser(userId: string, revokedTtl: number, keepSid?: string): Promise<number> {
    return this.guard(async () => {
      const setKey = this.keys.userSessions(userId);
      for (let attempt = 0; attempt < END_ALL_ATTEMPTS; attempt++) {
        const sids = (await this.client.sMembers(setKey)).filter((sid) => sid !== keepSid);
        const keys = [setKey, this.keys.revocationLog(), ...sids.flatMap((sid) => [this.keys.session(sid), this.keys.revokedSid(sid)])];
        const ended = Number(await this.client.endUserSessions(keys, [this.keys.revocationChannel(), String(revokedTtl), keepSid ?? '', ...sids]));
        if (ended >= 0) return ended;
      }
      throw new Error(`the sessions of a user kept changing while they were ended (${END_ALL_ATTEMPTS} attempts)`);
    });
  }

  markDelivered(sid: string, tokenHash: string): Promise<void> {
    return this.guard(async () => {
      await this.client.markDelivered([this.keys.session(sid)], [tokenHash]);
    });
  }

  countPasswordFailure(sid: string): Promise<number> {
    return this.guard(async () => Number(await this.client.countPasswordFailure([this.keys.session(sid)], [])));
  }
}

function rotationResult(reply: unknown[]): RotationResult {
  const outcome = reply[0] as RotationResult['outcome'];
  if (outcome === 'rotated') return { outcome, session: sessionFromHash(pairsToObject(reply[1]))! };
  if (outcome === 'grace') {
    const hash = pairsToObject(reply[1]);
    return { outcome, session: sessionFromHash(hash)!, sealedSuccessor: reply[2] as string, successorHash: hash.cur ?? '' };
  }
  if (outcome === 'reused' || outcome === 'inactive_user') return { outcome, sid: reply[1] as string };
  return { outcome: 'invalid' };
}
