import { StoreUnavailableError } from '../../errors.js';
import type { AuthorizationCodeRecord, AuthorizationCodeStore, CodeRedemption } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { luaScript, pairsToObject } from './lua.js';

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

/** The authorization-code scripts, by the name the Redis client gives each. */
export const CODE_SCRIPTS = {
  redeemCode: REDEEM_CODE,
  linkCodeSession: LINK_CODE_SESSION,
};

/** What this module sends: the plain commands, the record scripts and its own. */
type Client = ScriptClient<typeof CODE_SCRIPTS & typeof RECORD_SCRIPTS>;

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
    ...(hash.amr === undefined ? {} : { amr: hash.amr.split(' ').filter(Boolean) }),
    ...(hash.resource === undefined ? {} : { resource: hash.resource }),
    ...(hash.dpop_jkt === undefined ? {} : { dpopJkt: hash.dpop_jkt }),
  };
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
      if (record.amr !== undefined) fields.amr = record.amr.join(' ');
      if (record.resource !== undefined) fields.resource = record.resource;
      if (record.dpopJkt !== undefined) fields.dpop_jkt = record.dpopJkt;
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
