import type { SignInRecord, SignInStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { indexMembers, luaScript, pairsToObject } from './lua.js';

// KEYS: sign-in. ARGV: idle TTL s, now s, now ms. Renews the idle time, never past the absolute end.
const USE_SIGN_IN = luaScript(`
local expires = redis.call('HGET', KEYS[1], 'expires_at')
if not expires then return {} end
local ttl = math.min(tonumber(expires) * 1000 - tonumber(ARGV[3]), tonumber(ARGV[1]) * 1000)
if ttl <= 0 then
  redis.call('DEL', KEYS[1])
  return {}
end
redis.call('HSET', KEYS[1], 'last_used_at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
return redis.call('HGETALL', KEYS[1])`);

// KEYS: sign-in. The count lives in the sign-in's hash, so it ends with the sign-in.
const COUNT_SIGN_IN_PASSWORD_FAILURE = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'password_failures', 1)`);

/** The sign-in scripts, by the name the Redis client gives each. */
export const SIGN_IN_SCRIPTS = {
  useSignIn: USE_SIGN_IN,
  countSignInPasswordFailure: COUNT_SIGN_IN_PASSWORD_FAILURE,
};

/** What this module sends: the plain commands, the record scripts and its own. */
type Client = ScriptClient<typeof SIGN_IN_SCRIPTS & typeof RECORD_SCRIPTS>;

function signInFromHash(hash: Record<string, string>): SignInRecord | undefined {
  if (!hash.id) return undefined;
  return {
    id: hash.id,
    userId: hash.user_id ?? '',
    authTime: Number(hash.auth_time),
    createdAt: Number(hash.created_at),
    lastUsedAt: Number(hash.last_used_at),
    expiresAt: Number(hash.expires_at),
    userAgent: hash.user_agent ?? '',
    ip: hash.ip ?? '',
    ...(hash.authenticated_for === undefined ? {} : { authenticatedFor: hash.authenticated_for }),
    ...(hash.amr === undefined ? {} : { amr: hash.amr.split(' ').filter(Boolean) }),
  };
}

/** Sign-ins in Redis: a hash per sign-in, expiring with its idle time, and a set of them per user. */
export class RedisSignIns implements SignInStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly clock: () => number,
    private readonly durable: Durable,
  ) {}

  create(secretHash: string, record: SignInRecord, idleTtl: number): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.signIn(secretHash);
      const ttl = Math.max(1, Math.min(record.expiresAt * 1000 - this.clock(), idleTtl * 1000));
      const fields: Record<string, string> = {
        id: record.id,
        user_id: record.userId,
        auth_time: String(record.authTime),
        created_at: String(record.createdAt),
        last_used_at: String(record.lastUsedAt),
        expires_at: String(record.expiresAt),
        user_agent: record.userAgent,
        ip: record.ip,
      };
      if (record.authenticatedFor !== undefined) fields.authenticated_for = record.authenticatedFor;
      if (record.amr !== undefined) fields.amr = record.amr.join(' ');
      // The user's index first, as for sessions: a sign-in it does not list would escape endAllForUser.
      const index = this.keys.userSignIns(record.userId);
      await this.durable([index], () => this.client.addToIndex([index], [secretHash, String(record.expiresAt * 1000 - this.clock())]));
      await this.durable([key], () => this.client.putHash([key], [String(ttl), ...Object.entries(fields).flat()]));
    });
  }

  countPasswordFailure(secretHash: string): Promise<number> {
    return this.guard(async () => Number(await this.client.countSignInPasswordFailure([this.keys.signIn(secretHash)], [])));
  }

  endAllForUser(userId: string, keepHash?: string): Promise<number> {
    return this.guard(async () => {
      const indexKey = this.keys.userSignIns(userId);
      const hashes = (await indexMembers(this.client, indexKey)).filter((hash) => hash !== keepHash);
      if (hashes.length === 0) return 0;
      // One DEL per sign-in: on a cluster each lives in its own slot.
      const deleted = await Promise.all(hashes.map((hash) => this.keys.signIn(hash)).map((key) => this.durable([key], () => this.client.del(key))));
      await this.client.removeFromIndex([indexKey], hashes);
      return deleted.reduce((sum, count) => sum + count, 0);
    });
  }

  isLive(secretHash: string, id: string): Promise<boolean> {
    return this.guard(async () => (await this.client.hGet(this.keys.signIn(secretHash), 'id')) === id);
  }

  use(secretHash: string, idleTtl: number, now: number): Promise<SignInRecord | undefined> {
    return this.guard(async () =>
      signInFromHash(pairsToObject(await this.client.useSignIn([this.keys.signIn(secretHash)], [String(idleTtl), String(now), String(this.clock())]))),
    );
  }

  end(secretHash: string): Promise<SignInRecord | undefined> {
    return this.guard(async () => {
      const key = this.keys.signIn(secretHash);
      return signInFromHash(pairsToObject(await this.durable([key], () => this.client.takeHash([key], []))));
    });
  }
}
