import { StoreUnavailableError } from '../../errors.js';
import type { AuthorizationCodeRecord, AuthorizationCodeStore, CodeRedemption, ConsentRecord, ConsentStore, SignInRecord, SignInStore } from '../types.js';
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

// KEYS: code. ARGV: ms to keep a redeemed code, the moment (epoch ms) the caller stops waiting for the answer. The
// first use marks it redeemed; later ones see the mark. A redemption that reaches Redis after its request answered
// 503 (a command queued through a failover) changes nothing, or the client's retry would look like a replay.
const REDEEM_CODE = luaScript(`
local time = redis.call('TIME')
if tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) > tonumber(ARGV[2]) then return {'late'} end
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {'invalid'} end
if redis.call('HGET', KEYS[1], 'redeemed') == '1' then return {'replayed', h} end
redis.call('HSET', KEYS[1], 'redeemed', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {'redeemed', h}`);

// KEYS: code. ARGV: sid. Only while the code's record lives: HSET alone would recreate it without an expiry.
const LINK_CODE_SESSION = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'sid', ARGV[1]) end
return 1`);

/** The sign-in and authorization-code scripts, by the name the Redis client gives each. */
export const SIGN_IN_SCRIPTS = {
  useSignIn: USE_SIGN_IN,
  countSignInPasswordFailure: COUNT_SIGN_IN_PASSWORD_FAILURE,
  redeemCode: REDEEM_CODE,
  linkCodeSession: LINK_CODE_SESSION,
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
  };
}

function codeFromHash(hash: Record<string, string>): AuthorizationCodeRecord {
  return {
    clientId: hash.client_id ?? '',
    redirectUri: hash.redirect_uri ?? '',
    codeChallenge: hash.code_challenge ?? '',
    scope: hash.scope ?? '',
    ...(hash.nonce === undefined ? {} : { nonce: hash.nonce }),
    userId: hash.user_id ?? '',
    signInId: hash.sign_in_id ?? '',
    signInHash: hash.sign_in_hash ?? '',
    authTime: Number(hash.auth_time),
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

/** Authorization codes in Redis: a hash per code hash, expiring with the code. */
export class RedisCodes implements AuthorizationCodeStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
    private readonly commandTimeoutMs: number,
  ) {}

  create(codeHash: string, record: AuthorizationCodeRecord, ttlMs: number): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.code(codeHash);
      const fields: Record<string, string> = {
        client_id: record.clientId,
        redirect_uri: record.redirectUri,
        code_challenge: record.codeChallenge,
        scope: record.scope,
        user_id: record.userId,
        sign_in_id: record.signInId,
        sign_in_hash: record.signInHash,
        auth_time: String(record.authTime),
      };
      if (record.nonce !== undefined) fields.nonce = record.nonce;
      await this.durable([key], () => this.client.putHash([key], [String(ttlMs), ...Object.entries(fields).flat()]));
    });
  }

  redeem(codeHash: string, keepMs: number): Promise<CodeRedemption> {
    return this.guard(async () => {
      // A redemption a failover lost would let the code be redeemed again.
      const key = this.keys.code(codeHash);
      const deadline = String(Date.now() + this.commandTimeoutMs);
      const [outcome, flat] = (await this.durable([key], () => this.client.redeemCode([key], [String(keepMs), deadline]))) as [string, unknown];
      if (outcome === 'late') throw new StoreUnavailableError('the redemption reached the store after its answer was due');
      if (outcome === 'invalid') return { outcome };
      const hash = pairsToObject(flat);
      if (outcome === 'redeemed') return { outcome, code: codeFromHash(hash) };
      return { outcome: 'replayed', code: codeFromHash(hash), sid: hash.sid };
    });
  }

  linkSession(codeHash: string, sid: string): Promise<void> {
    return this.guard(async () => {
      await this.client.linkCodeSession([this.keys.code(codeHash)], [sid]);
    });
  }
}

/**
 * Consents in Redis: a hash per user, a field per client holding the consent as JSON, and per client a hash of the
 * users who gave one (its index, written first: a consent it does not list would survive the client's deletion).
 * Consents written before the index existed are not in it; ConsentService voids those of a re-created client anyway.
 */
export class RedisConsents implements ConsentStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  get(userId: string, clientId: string): Promise<ConsentRecord | undefined> {
    return this.guard(async () => {
      const value = await this.client.hGet(this.keys.consents(userId), clientId);
      return value == null ? undefined : { clientId, ...(JSON.parse(value) as Omit<ConsentRecord, 'clientId'>) };
    });
  }

  grant(userId: string, consent: ConsentRecord): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.consents(userId);
      const index = this.keys.clientConsents(consent.clientId);
      await this.durable([index], () => this.client.hSet(index, userId, '1'));
      await this.durable([key], () => this.client.hSet(key, consent.clientId, JSON.stringify({ scope: consent.scope, grantedAt: consent.grantedAt })));
    });
  }

  list(userId: string): Promise<ConsentRecord[]> {
    return this.guard(async () => {
      const all = await this.client.hGetAll(this.keys.consents(userId));
      return Object.entries(all)
        .map(([clientId, value]) => ({ clientId, ...(JSON.parse(value) as Omit<ConsentRecord, 'clientId'>) }))
        .sort((a, b) => a.clientId.localeCompare(b.clientId));
    });
  }

  revoke(userId: string, clientId: string): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.consents(userId);
      const revoked = (await this.durable([key], () => this.client.hDel(key, clientId))) === 1;
      await this.client.hDel(this.keys.clientConsents(clientId), userId);
      return revoked;
    });
  }

  revokeAll(userId: string): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.consents(userId);
      const clientIds = Object.keys(await this.client.hGetAll(key));
      await this.durable([key], () => this.client.del(key));
      // One HDEL per client's index: on a cluster each lives in its own slot.
      await Promise.all(clientIds.map((clientId) => this.client.hDel(this.keys.clientConsents(clientId), userId)));
    });
  }

  forgetClient(clientId: string): Promise<number> {
    return this.guard(async () => {
      const index = this.keys.clientConsents(clientId);
      const userIds = Object.keys(await this.client.hGetAll(index));
      // One HDEL per user's consents: on a cluster each lives in its own slot.
      const forgotten = await Promise.all(
        userIds.map((userId) => this.keys.consents(userId)).map((key) => this.durable([key], () => this.client.hDel(key, clientId))),
      );
      await this.durable([index], () => this.client.del(index));
      return forgotten.reduce((sum, count) => sum + count, 0);
    });
  }
}
