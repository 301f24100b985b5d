import type { MfaStore, TotpFactor } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import { luaScript } from './lua.js';

// KEYS: the user's factors. ARGV: step. Accepts a step only past the last one accepted, while an app is set.
const USE_TOTP_STEP = luaScript(`
local last = redis.call('HGET', KEYS[1], 'totp_last_step')
if not last then return 0 end
if tonumber(ARGV[1]) <= tonumber(last) then return 0 end
redis.call('HSET', KEYS[1], 'totp_last_step', ARGV[1])
return 1`);

// KEYS: the user's recovery codes. ARGV: hashes. A new set replaces the old in one step.
const SET_RECOVERY_CODES = luaScript(`
redis.call('DEL', KEYS[1])
if #ARGV > 0 then redis.call('SADD', KEYS[1], unpack(ARGV)) end
return 1`);

// KEYS: the user's recovery codes. ARGV: a hash. How many remain after spending it, or -1 when it is none of them.
const USE_RECOVERY_CODE = luaScript(`
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return -1 end
return redis.call('SCARD', KEYS[1])`);

// KEYS: the user's recovery codes. How many remain.
const COUNT_RECOVERY_CODES = luaScript(`return redis.call('SCARD', KEYS[1])`);

/** The second-factor scripts, by the name the Redis client gives each. */
export const MFA_SCRIPTS = {
  useTotpStep: USE_TOTP_STEP,
  setRecoveryCodes: SET_RECOVERY_CODES,
  useRecoveryCode: USE_RECOVERY_CODE,
  countRecoveryCodes: COUNT_RECOVERY_CODES,
};

/** Second factors in Redis: a hash per user for the authenticator app, a set of recovery-code hashes, in the user's slot. */
export class RedisMfa implements MfaStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<typeof MFA_SCRIPTS>,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  totp(userId: string): Promise<TotpFactor | undefined> {
    return this.guard(async () => {
      const hash = await this.client.hGetAll(this.keys.mfa(userId));
      if (!hash.totp_secret) return undefined;
      return { secret: hash.totp_secret, createdAt: Number(hash.totp_created_at), lastStep: Number(hash.totp_last_step) };
    });
  }

  setTotp(userId: string, factor: TotpFactor): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.mfa(userId);
      const fields = { totp_secret: factor.secret, totp_created_at: String(factor.createdAt), totp_last_step: String(factor.lastStep) };
      await this.durable([key], () => this.client.hSet(key, fields));
    });
  }

  removeTotp(userId: string): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.mfa(userId);
      return (await this.durable([key], () => this.client.hDel(key, ['totp_secret', 'totp_created_at', 'totp_last_step']))) > 0;
    });
  }

  useTotpStep(userId: string, step: number): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.mfa(userId);
      return (await this.durable([key], () => this.client.useTotpStep([key], [String(step)]))) === 1;
    });
  }

  setRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.recoveryCodes(userId);
      await this.durable([key], () => this.client.setRecoveryCodes([key], [...hashes]));
    });
  }

  useRecoveryCode(userId: string, hash: string): Promise<number | undefined> {
    return this.guard(async () => {
      const key = this.keys.recoveryCodes(userId);
      const left = (await this.durable([key], () => this.client.useRecoveryCode([key], [hash]))) as number;
      return left < 0 ? undefined : left;
    });
  }

  recoveryCodesLeft(userId: string): Promise<number> {
    return this.guard(async () => (await this.client.countRecoveryCodes([this.keys.recoveryCodes(userId)], [])) as number);
  }

  clear(userId: string): Promise<void> {
    return this.guard(async () => {
      const keys = [this.keys.mfa(userId), this.keys.recoveryCodes(userId), this.keys.pendingTotp(userId)];
      for (const key of keys) await this.durable([key], () => this.client.del(key));
    });
  }

  setPendingTotp(userId: string, secret: string, ttlMs: number): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.pendingTotp(userId);
      await this.durable([key], () => this.client.set(key, secret, { PX: ttlMs }));
    });
  }

  pendingTotp(userId: string): Promise<string | undefined> {
    return this.guard(async () => (await this.client.get(this.keys.pendingTotp(userId))) ?? undefined);
  }
}
