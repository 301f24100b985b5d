import type { PasskeyChallengeRecord, PasskeyChallengeStore, PasskeyRecord, PasskeyStore, PasskeyUse } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import { luaScript, type RECORD_SCRIPTS } from './lua.js';
import { RedisOneTimeRecords, type HashCodec } from './one-time-records.js';
import type { USER_SCRIPTS } from './users.js';
import { claimFor } from './claims.js';

// KEYS: the user's passkeys. ARGV: credential id, name. Renames a passkey the user still has.
const RENAME_PASSKEY = luaScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1] .. ':name', ARGV[2])
return 1`);

// KEYS: the user's passkeys. ARGV: credential id, counter, backed up ('1'/'0'), used at. Records a use only when the
// counter moved on, or both are 0 (WebAuthn Level 3 §7.2 step 22): 1 recorded, -1 a stale counter, 0 no such passkey.
const RECORD_PASSKEY_USE = luaScript(`
local use = redis.call('HGET', KEYS[1], ARGV[1] .. ':use')
if not use then return 0 end
local last = tonumber(string.match(use, '^(%d+)'))
local counter = tonumber(ARGV[2])
if (counter > 0 or last > 0) and counter <= last then return -1 end
redis.call('HSET', KEYS[1], ARGV[1] .. ':use', ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4])
return 1`);

/** The passkey scripts, by the name the Redis client gives each. */
export const PASSKEY_SCRIPTS = {
  renamePasskey: RENAME_PASSKEY,
  recordPasskeyUse: RECORD_PASSKEY_USE,
};

/** What never changes of a passkey, as its hash field holds it. */
interface FixedFields {
  publicKey: string;
  transports: string[];
  backupEligible: boolean;
  createdAt: number;
}

/** A passkey from its three fields in the user's hash, or undefined when the first is missing. */
function passkeyOf(userId: string, id: string, fixed: string | null | undefined, name: string | null | undefined, use: string | null | undefined) {
  if (!fixed) return undefined;
  const parsed = JSON.parse(fixed) as FixedFields;
  const [counter = '0', backedUp = '0', usedAt = '0'] = (use ?? '').split(' ');
  const passkey: PasskeyRecord = {
    id,
    userId,
    name: name ?? '',
    publicKey: parsed.publicKey,
    counter: Number(counter),
    transports: Array.isArray(parsed.transports) ? parsed.transports : [],
    backupEligible: parsed.backupEligible === true,
    backedUp: backedUp === '1',
    createdAt: parsed.createdAt,
    lastUsedAt: Number(usedAt),
  };
  return passkey;
}

/**
 * Passkeys in Redis: a hash per user (each passkey's fixed fields as JSON, its name, and its last use, which a script
 * moves on atomically) in the user's slot, and an owner key per credential id, which a discoverable sign-in starts from.
 */
export class RedisPasskeys implements PasskeyStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<typeof PASSKEY_SCRIPTS & typeof USER_SCRIPTS>,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  list(userId: string): Promise<PasskeyRecord[]> {
    return this.guard(async () => {
      const hash = await this.client.hGetAll(this.keys.passkeys(userId));
      const ids = Object.keys(hash).filter((field) => !field.includes(':'));
      return ids
        .map((id) => passkeyOf(userId, id, hash[id], hash[`${id}:name`], hash[`${id}:use`]))
        .filter((passkey): passkey is PasskeyRecord => passkey !== undefined)
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    });
  }

  find(credentialId: string): Promise<PasskeyRecord | undefined> {
    return this.guard(async () => {
      const owner = await this.client.get(this.keys.passkeyOwner(credentialId));
      if (owner === null) return undefined;
      return this.#owned(owner, credentialId);
    });
  }

  add(record: PasskeyRecord): Promise<boolean> {
    return this.guard(async () => {
      // The claim comes first: a passkey in a hash without its claim could never sign in.
      const holds = async (owner: string) => (await this.#owned(owner, record.id)) !== undefined;
      if (!(await claimFor(this.client, this.durable, this.keys.passkeyOwner(record.id), record.userId, holds))) return false;
      const fixed: FixedFields = {
        publicKey: record.publicKey,
        transports: record.transports,
        backupEligible: record.backupEligible,
        createdAt: record.createdAt,
      };
      const key = this.keys.passkeys(record.userId);
      const use = `${record.counter} ${record.backedUp ? 1 : 0} ${record.lastUsedAt}`;
      await this.durable([key], () =>
        this.client.hSet(key, { [record.id]: JSON.stringify(fixed), [`${record.id}:name`]: record.name, [`${record.id}:use`]: use }),
      );
      return true;
    });
  }

  rename(userId: string, credentialId: string, name: string): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.passkeys(userId);
      return (await this.durable([key], () => this.client.renamePasskey([key], [credentialId, name]))) === 1;
    });
  }

  remove(userId: string, credentialId: string): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.passkeys(userId);
      const removed = await this.durable([key], () => this.client.hDel(key, [credentialId, `${credentialId}:name`, `${credentialId}:use`]));
      const claim = this.keys.passkeyOwner(credentialId);
      await this.durable([claim], () => this.client.deleteIfEquals([claim], [userId]));
      return removed > 0;
    });
  }

  recordUse(userId: string, credentialId: string, use: PasskeyUse): Promise<'recorded' | 'stale_counter' | 'gone'> {
    return this.guard(async () => {
      const key = this.keys.passkeys(userId);
      const args = [credentialId, String(use.counter), use.backedUp ? '1' : '0', String(use.usedAt)];
      const result = await this.durable([key], () => this.client.recordPasskeyUse([key], args));
      return result === 1 ? 'recorded' : result === -1 ? 'stale_counter' : 'gone';
    });
  }

  clear(userId: string): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.passkeys(userId);
      const ids = Object.keys(await this.client.hGetAll(key)).filter((field) => !field.includes(':'));
      await this.durable([key], () => this.client.del(key));
      for (const id of ids) {
        const claim = this.keys.passkeyOwner(id);
        await this.durable([claim], () => this.client.deleteIfEquals([claim], [userId]));
      }
    });
  }

  async #owned(userId: string, credentialId: string): Promise<PasskeyRecord | undefined> {
    const hash = await this.client.hGetAll(this.keys.passkeys(userId));
    return passkeyOf(userId, credentialId, hash[credentialId], hash[`${credentialId}:name`], hash[`${credentialId}:use`]);
  }
}

const PASSKEY_CHALLENGE: HashCodec<PasskeyChallengeRecord> = {
  fields(record) {
    const fields = ['purpose', record.purpose, 'binding', record.binding];
    if (record.userId !== undefined) fields.push('user_id', record.userId);
    if (record.name !== undefined) fields.push('name', record.name);
    return fields;
  },
  read(hash) {
    if (!hash.purpose || !hash.binding) return undefined;
    return {
      purpose: hash.purpose as PasskeyChallengeRecord['purpose'],
      binding: hash.binding,
      ...(hash.user_id === undefined ? {} : { userId: hash.user_id }),
      ...(hash.name === undefined ? {} : { name: hash.name }),
    };
  },
};

/** WebAuthn challenges in Redis: a hash per challenge, by its hash, expiring with it. */
export class RedisPasskeyChallenges extends RedisOneTimeRecords<PasskeyChallengeRecord> implements PasskeyChallengeStore {
  constructor(guard: Guard, client: ScriptClient<typeof RECORD_SCRIPTS>, keys: RedisKeys, durable: Durable) {
    super(guard, client, durable, keys.passkeyChallenge, PASSKEY_CHALLENGE);
  }
}
