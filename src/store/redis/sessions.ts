import { StoreUnavailableError } from '../../errors.js';
import type { RotationRequest, RotationResult, SessionOptions, SessionRecord, SessionStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { indexMembers, luaScript, pairsToObject } from './lua.js';
import type { RevocationLog } from './revocation-log.js';

// One atomic step for rotation, the reuse grace and reuse detection (RFC 9700 §4.14.2), on the session's own keys
// (one slot on a cluster). The newest token's predecessor gets the same successor again within the grace, or while
// that successor has not been handed out. KEYS: the session, its revoked-sid entry[, the successor's lookup, given
// where it shares the session's server: outside a cluster]. ARGV: sid, user id ('' when unknown), token hash, client
// id, new hash, sealed successor, clock offset ms, grace ms, idle TTL s, revoked TTL s, the lookup's value, the
// moment (ms) the caller stops waiting for the answer, the thumbprint of the request's DPoP key ('' without one: a
// session bound to a key rotates for a proof of that key alone, RFC 9449 §5). A rotation that runs after that changes nothing: the client
// was told 503 and retries, and a command that reached Redis late (a stalled server runs what was queued when it
// wakes) must not spend the token behind its back, or the retry that got the successor would make this late one
// look like reuse.
// The caller read the token's lookup first (it names the session) and logs a revocation the script reports.
// Every time it compares is Redis's own (TIME) when the script runs, so a rotation that runs late after a stall is
// stamped late too; the offset is 0 unless the service runs on a moved clock (tests).
const ROTATE = luaScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[7])
if now > tonumber(ARGV[12]) then return {'late'} end
local f = redis.call('HMGET', KEYS[1], 'client_id', 'cur', 'prev', 'rotated_at', 'expires_at', 'user_id', 'sealed', 'delivered', 'dpop_jkt')
if not f[1] then
  local listed = redis.call('TTL', KEYS[2])
  if listed > 0 then return {'ended', listed} end
  return {'invalid'}
end
if f[1] ~= ARGV[4] or (ARGV[2] ~= '' and f[6] ~= ARGV[2]) then return {'invalid'} end
if f[9] and f[9] ~= ARGV[13] then return {'wrong_key'} end
local left = tonumber(f[5]) * 1000 - now
if left <= 0 then return {'invalid'} end
local ttl = math.min(left, tonumber(ARGV[9]) * 1000)
if ARGV[3] == f[2] then
  redis.call('HSET', KEYS[1], 'prev', f[2], 'cur', ARGV[5], 'rotated_at', now, 'sealed', ARGV[6], 'last_used_at', math.floor(now / 1000))
  redis.call('PEXPIRE', KEYS[1], ttl)
  if #KEYS == 3 then redis.call('SET', KEYS[3], ARGV[11], 'PX', left) end
  return {'rotated', redis.call('HGETALL', KEYS[1])}
end
if f[3] and ARGV[3] == f[3] and (now - tonumber(f[4]) <= tonumber(ARGV[8]) or f[8] ~= f[2]) then
  redis.call('HSET', KEYS[1], 'last_used_at', math.floor(now / 1000))
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {'grace', redis.call('HGETALL', KEYS[1]), f[7]}
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[10])
return {'reused', f[6]}`);

// KEYS: session, its revoked-sid entry. ARGV: revoked TTL s. Lists the sid as revoked even when the session is gone;
// answers what the session held.
const END = luaScript(`
local h = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
return h`);

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
  rotateRefreshToken: ROTATE,
  endSession: END,
  markDelivered: MARK_DELIVERED,
  countPasswordFailure: COUNT_PASSWORD_FAILURE,
};

/** What this module sends: the plain commands, the record scripts and its own. */
type Client = ScriptClient<typeof SESSION_SCRIPTS & typeof RECORD_SCRIPTS>;

/** How often endAllForUser reads the user's index again when sessions start while it ends them. */
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

/**
 * A session from its hash, undefined when there is none. The sid comes from the key: the hash does not repeat it (30
 * bytes a session); hashes that earlier builds wrote still hold it, unread.
 */
function sessionFromHash(hash: Record<string, string>, sid: string): SessionRecord | undefined {
  if (!hash.client_id) return undefined;
  return {
    sid,
    userId: hash.user_id ?? '',
    clientId: hash.client_id ?? '',
    scope: hash.scope ?? '',
    createdAt: Number(hash.created_at),
    lastUsedAt: Number(hash.last_used_at),
    expiresAt: Number(hash.expires_at),
    userAgent: hash.user_agent ?? '',
    ip: hash.ip ?? '',
    ...(hash.sign_in === undefined ? {} : { signInId: hash.sign_in }),
    ...(hash.auth_time === undefined ? {} : { authTime: Number(hash.auth_time) }),
    ...(hash.amr === undefined ? {} : { amr: hash.amr.split(' ').filter(Boolean) }),
    ...(hash.resource === undefined ? {} : { resource: hash.resource }),
    ...(hash.dpop_jkt === undefined ? {} : { dpopJkt: hash.dpop_jkt }),
  };
}

function sessionFields(session: SessionRecord, refreshTokenHash: string | undefined): string[] {
  // One field name and its value per line.
  // prettier-ignore
  return [
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
    ...(session.authTime === undefined ? [] : ['auth_time', String(session.authTime)]),
    ...(session.amr === undefined ? [] : ['amr', session.amr.join(' ')]),
    ...(session.resource === undefined ? [] : ['resource', session.resource]),
    ...(session.dpopJkt === undefined ? [] : ['dpop_jkt', session.dpopJkt]),
  ];
}

/**
 * Sessions in Redis: a hash per session, a lookup key per refresh token hash, an index of sids per user. On a cluster
 * these live in three slots (keys.ts): what must be atomic, a rotation or an ending, runs on the session's keys
 * alone; the lookups and the user's index are written beside it, in an order that leaves nothing reachable half-done.
 */
export class RedisSessions implements SessionStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly log: RevocationLog,
    private readonly clock: () => number,
    private readonly clustered: boolean,
    private readonly durable: Durable,
    private readonly commandTimeoutMs: number,
  ) {}

  create(session: SessionRecord, options: SessionOptions): Promise<void> {
    return this.guard(async () => {
      const left = Math.max(1, session.expiresAt * 1000 - this.clock());
      const ttl = Math.max(1, Math.min(left, options.idleTtl * 1000));
      // The user's index first: a session it does not list would escape endAllForUser; a listed sid whose session
      // never got written is dropped by the next reader.
      const index = this.keys.userSessions(session.userId);
      await this.durable([index], () => this.client.addToIndex([index], [session.sid, String(left)]));
      const key = this.keys.session(session.sid);
      const writes = [this.durable([key], () => this.client.putHash([key], [String(ttl), ...sessionFields(session, options.refreshTokenHash)]))];
      const lookup = options.refreshTokenHash;
      if (lookup) writes.push(this.durable([this.keys.refresh(lookup)], () => this.#link(lookup, session.sid, session.userId, session.expiresAt)));
      await Promise.all(writes);
    });
  }

  get(sid: string): Promise<SessionRecord | undefined> {
    return this.guard(async () => sessionFromHash(await this.client.hGetAll(this.keys.session(sid)), sid));
  }

  findByRefreshToken(tokenHash: string): Promise<{ session: SessionRecord; current: boolean } | undefined> {
    return this.guard(async () => {
      const link = await this.client.get(this.keys.refresh(tokenHash));
      if (link === null) return undefined;
      const { sid } = parseRefreshLink(link);
      const hash = await this.client.hGetAll(this.keys.session(sid));
      const session = sessionFromHash(hash, sid);
      return session && { session, current: hash.cur === tokenHash };
    });
  }

  rotate(request: RotationRequest): Promise<RotationResult> {
    // When the guard gives up: the operation may go on after the 503 (a reply that comes late), its script may not.
    const deadline = String(this.clock() + this.commandTimeoutMs);
    return this.guard(async () => {
      // The token's lookup names its session and user; a token's link never changes while it exists.
      const link = await this.client.get(this.keys.refresh(request.tokenHash));
      if (link === null) return { outcome: 'invalid' };
      const { sid, userId: linkedUser } = parseRefreshLink(link);
      const userId = linkedUser ?? (await this.client.hGet(this.keys.session(sid), 'user_id')) ?? undefined;
      const offset = String(Math.round(this.clock() - Date.now()));
      const args = [sid, userId ?? '', request.tokenHash, request.clientId, request.newTokenHash, request.sealedSuccessor, offset];
      args.push(String(request.graceMs), String(request.idleTtl), String(request.revokedTtl), refreshLink(sid, userId ?? ''));
      args.push(deadline, request.dpopJkt ?? '');
      const keys = [this.keys.session(sid), this.keys.revokedSid(sid)];
      // The successor's lookup is written only if the rotation succeeds (a lookup makes a token reusable, so one
      // for a token never handed out must not exist): in the script where it can, after it on a cluster.
      const linked = !this.clustered && userId !== undefined;
      if (linked) keys.push(this.keys.refresh(request.newTokenHash));
      // Sent together: the rotation and the user's state, which lives in another slot.
      const [reply, active] = await Promise.all([
        this.durable(keys, () => this.client.rotateRefreshToken(keys, args) as Promise<unknown[]>),
        userId === undefined ? Promise.resolve(false) : this.#userActive(userId),
      ]);
      if (reply[0] === 'late') throw new StoreUnavailableError('the rotation reached the store after its answer was due');
      const result = rotationResult(reply, sid);
      return this.#settle(result, reply, { sid, userId, active, linked, newTokenHash: request.newTokenHash, revokedTtl: request.revokedTtl });
    });
  }

  /** The rest of a rotation outside the session's slot: the successor's lookup, a revocation's log entry, the user. */
  async #settle(result: RotationResult, reply: unknown[], rotation: SettleContext): Promise<RotationResult> {
    const { sid } = rotation;
    if (reply[0] === 'ended') {
      // Ended earlier, and maybe logged: a failover may have lost that log entry, so it is written again.
      await this.log.record([`sid:${sid}`], Number(reply[1]));
      return { outcome: 'invalid' };
    }
    if (result.outcome === 'reused') {
      await Promise.all([this.log.record([`sid:${sid}`], rotation.revokedTtl), this.#unlist(result.userId, [sid])]);
      return result;
    }
    if (result.outcome !== 'rotated' && result.outcome !== 'grace') return result;
    if (!rotation.active) {
      await this.end(sid, rotation.revokedTtl);
      return { outcome: 'inactive_user', sid };
    }
    const { userId: owner, expiresAt } = result.session;
    if (result.outcome === 'rotated' && !rotation.linked) {
      await this.durable([this.keys.refresh(rotation.newTokenHash)], () => this.#link(rotation.newTokenHash, sid, owner, expiresAt));
    }
    // On a cluster the successor's lookup is written after the rotation; if that write was lost, the retry heals it.
    if (result.outcome === 'grace' && this.clustered) await this.#link(result.successorHash, sid, owner, expiresAt, true);
    return result;
  }

  #link(tokenHash: string, sid: string, userId: string, expiresAt: number, onlyIfMissing = false): Promise<unknown> {
    const ttl = Math.max(1, expiresAt * 1000 - this.clock());
    const value = refreshLink(sid, userId);
    const key = this.keys.refresh(tokenHash);
    return onlyIfMissing ? this.client.set(key, value, { PX: ttl, NX: true }) : this.client.set(key, value, { PX: ttl });
  }

  /** Takes sids off a user's index. */
  #unlist(userId: string, sids: string[]): Promise<unknown> {
    return this.client.removeFromIndex([this.keys.userSessions(userId)], sids);
  }

  async #userActive(userId: string): Promise<boolean> {
    return (await this.client.hGet(this.keys.user(userId), 'disabled')) === '0';
  }

  listForUser(userId: string): Promise<SessionRecord[]> {
    return this.guard(async () => {
      const indexKey = this.keys.userSessions(userId);
      const sids = await indexMembers(this.client, indexKey);
      if (sids.length === 0) return [];
      // One read per session (each in its own slot on a cluster), sent together.
      const hashes = await Promise.all(sids.map((sid) => this.client.hGetAll(this.keys.session(sid))));
      const sessions = hashes.map((hash, index) => sessionFromHash(hash, sids[index]!));
      const gone = sids.filter((_sid, index) => sessions[index] === undefined);
      // Sessions that expired leave their sid in the index; drop them as they are found.
      if (gone.length > 0) await this.#unlist(userId, gone);
      return sessions
        .filter((session): session is SessionRecord => session !== undefined && session.userId === userId)
        .sort((a, b) => a.createdAt - b.createdAt || a.sid.localeCompare(b.sid));
    });
  }

  end(sid: string, revokedTtl: number): Promise<SessionRecord | undefined> {
    return this.guard(async () => {
      const [flat] = await Promise.all([this.#endScript(sid, revokedTtl), this.log.record([`sid:${sid}`], revokedTtl)]);
      const session = sessionFromHash(pairsToObject(flat), sid);
      if (session) await this.#unlist(session.userId, [sid]);
      return session;
    });
  }

  #endScript(sid: string, revokedTtl: number): Promise<unknown> {
    const keys = [this.keys.session(sid), this.keys.revokedSid(sid)];
    return this.durable(keys, () => this.client.endSession(keys, [String(revokedTtl)]));
  }

  endAllForUser(userId: string, revokedTtl: number, keepSid?: string): Promise<number> {
    return this.guard(async () => {
      const indexKey = this.keys.userSessions(userId);
      let ended = 0;
      // Sessions that start while these end are ended too: the index is read again until it lists no other.
      for (let attempt = 0; attempt < END_ALL_ATTEMPTS; attempt++) {
        const sids = (await indexMembers(this.client, indexKey)).filter((sid) => sid !== keepSid);
        if (sids.length === 0) return ended;
        const [hashes] = await Promise.all([
          Promise.all(sids.map((sid) => this.#endScript(sid, revokedTtl))),
          this.log.record(
            sids.map((sid) => `sid:${sid}`),
            revokedTtl,
          ),
        ]);
        ended += hashes.filter((flat) => (flat as unknown[]).length > 0).length;
        await this.#unlist(userId, sids);
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

/** What a rotation's settling needs from its first half. */
interface SettleContext {
  sid: string;
  userId: string | undefined;
  active: boolean;
  /** Whether the script wrote the successor's lookup. */
  linked: boolean;
  newTokenHash: string;
  revokedTtl: number;
}

function rotationResult(reply: unknown[], sid: string): RotationResult {
  const outcome = reply[0] as RotationResult['outcome'];
  if (outcome === 'rotated') return { outcome, session: sessionFromHash(pairsToObject(reply[1]), sid)! };
  if (outcome === 'grace') {
    const hash = pairsToObject(reply[1]);
    return { outcome, session: sessionFromHash(hash, sid)!, sealedSuccessor: reply[2] as string, successorHash: hash.cur ?? '' };
  }
  if (outcome === 'reused') return { outcome, sid, userId: reply[1] as string };
  if (outcome === 'wrong_key') return { outcome };
  return { outcome: 'invalid' };
}
