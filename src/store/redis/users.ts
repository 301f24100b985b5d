import type { UserCreation, UserEmail, UserQuery, UserRecord, UserStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { luaScript, pairsToObject } from './lua.js';

// Updates fields of an existing user only: HSET alone would create a stray record for a deleted one.
const SET_USER_FIELDS = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
  return 1
end
return 0`);

// Frees a username only while it still names this user: a name a new account has taken meanwhile stays taken.
const DELETE_IF_EQUALS = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);

// Takes over a claim only while it still names the user it was found to name (a stale claim: see #claimEmail).
const REPLACE_IF_EQUALS = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0`);

// KEYS: user. ARGV: address, key, verified ('1' or '0'); an empty address removes the three fields. Existing users only.
const SET_USER_EMAIL = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], 'email', 'email_key', 'email_verified')
else
  redis.call('HSET', KEYS[1], 'email', ARGV[1], 'email_key', ARGV[2], 'email_verified', ARGV[3])
end
return 1`);

// KEYS: user. ARGV: email key. Marks the address verified only while it is still the one with that key.
const MARK_EMAIL_VERIFIED = luaScript(`
if redis.call('HGET', KEYS[1], 'email_key') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'email_verified', '1')
  return 1
end
return 0`);

/** The user scripts, by the name the Redis client gives each. */
export const USER_SCRIPTS = {
  setUserFields: SET_USER_FIELDS,
  deleteIfEquals: DELETE_IF_EQUALS,
  replaceIfEquals: REPLACE_IF_EQUALS,
  setUserEmail: SET_USER_EMAIL,
  markEmailVerified: MARK_EMAIL_VERIFIED,
};

/** How many times a claim is tried when it vanishes or goes stale between two looks. */
const CLAIM_ATTEMPTS = 3;

/** What this module sends: the plain commands, the record scripts and its own. */
type Client = ScriptClient<typeof USER_SCRIPTS & typeof RECORD_SCRIPTS>;

/** The byte above every byte of UTF-8 text: the end of a lex range of keys that start with a prefix. */
const HIGHEST_BYTE = Buffer.from([0xff]);

function userFields(user: UserRecord): string[] {
  // One field name and its value per line.
  // prettier-ignore
  return [
    'id', user.id,
    'username', user.username,
    'username_key', user.usernameKey,
    'password_hash', user.passwordHash,
    'created_at', String(user.createdAt),
    'disabled', user.disabled ? '1' : '0',
    ...(user.email ? ['email', user.email.address, 'email_key', user.email.key, 'email_verified', user.email.verified ? '1' : '0'] : []),
  ];
}

/** An address's fields (address, key, verified), or empty strings for none: the arguments of SET_USER_EMAIL. */
function emailFields(email: UserEmail | undefined): [string, string, string] {
  return email ? [email.address, email.key, email.verified ? '1' : '0'] : ['', '', ''];
}

function userFromHash(hash: Record<string, string>): UserRecord | undefined {
  if (!hash.id) return undefined;
  return {
    id: hash.id,
    username: hash.username ?? '',
    usernameKey: hash.username_key ?? '',
    passwordHash: hash.password_hash ?? '',
    createdAt: Number(hash.created_at),
    ...(hash.password_changed_at === undefined ? {} : { passwordChangedAt: Number(hash.password_changed_at) }),
    disabled: hash.disabled === '1',
    ...(hash.email ? { email: { address: hash.email, key: hash.email_key ?? '', verified: hash.email_verified === '1' } } : {}),
  };
}

/**
 * Users in Redis: a hash per user, a username → id key that makes names unique, and an address → id key (a claim) that
 * makes addresses unique. A user's record always holds an address before the user claims it, so a claim whose user's
 * record holds another address (or none) is stale: a change or delete stopped half way, and the next claimant takes it.
 */
export class RedisUsers implements UserStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
    /** Every key matching a pattern (StoreConnection.scan), for the one-time backfill of the username index. */
    private readonly scan: (pattern: string) => AsyncGenerator<string[]>,
  ) {}

  /**
   * Writes the user, then claims the username for it; a name already taken removes the record again. On a cluster
   * the two keys live in different slots, so this order means a crash between them leaves at worst a record no name
   * leads to, never a name that leads nowhere (which would lock the name).
   */
  create(user: UserRecord): Promise<UserCreation> {
    return this.guard(async () => {
      const key = this.keys.user(user.id);
      await this.durable([key], () => this.client.hSet(key, pairsToObject(userFields(user))));
      // Indexed before the name is claimed: an entry whose name is not (or no longer) claimed is skipped by list().
      await this.durable([this.keys.usernames()], () => this.client.zAdd(this.keys.usernames(), { score: 0, value: user.usernameKey }));
      const name = this.keys.username(user.usernameKey);
      if ((await this.durable([name], () => this.client.set(name, user.id, { NX: true }))) !== 'OK') {
        await this.client.del(key);
        return 'username_taken';
      }
      if (user.email && !(await this.#claimEmail(user.email.key, user.id))) {
        await this.durable([name], () => this.client.deleteIfEquals([name], [user.id]));
        await this.durable([key], () => this.client.del(key));
        return 'email_taken';
      }
      return 'created';
    });
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return this.guard(async () => userFromHash(await this.client.hGetAll(this.keys.user(id))));
  }

  findByUsernameKey(usernameKey: string): Promise<UserRecord | undefined> {
    return this.guard(async () => {
      const id = await this.client.get(this.keys.username(usernameKey));
      return id === null ? undefined : this.findById(id);
    });
  }

  findByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    return this.guard(async () => {
      const id = await this.client.get(this.keys.email(emailKey));
      const user = id === null ? undefined : await this.findById(id);
      return user?.email?.key === emailKey ? user : undefined;
    });
  }

  /** Writes the new address into the record, claims it (undoing the write when it is another's), then frees the old one. */
  setEmail(id: string, email: UserEmail | undefined): Promise<'set' | 'taken' | 'missing'> {
    return this.guard(async () => {
      const user = await this.findById(id);
      if (!user) return 'missing';
      const key = this.keys.user(id);
      if ((await this.durable([key], () => this.client.setUserEmail([key], emailFields(email)))) === 0) return 'missing';
      if (email && !(await this.#claimEmail(email.key, id))) {
        await this.durable([key], () => this.client.setUserEmail([key], emailFields(user.email)));
        return 'taken';
      }
      if (user.email && user.email.key !== email?.key) await this.#releaseEmail(user.email.key, id);
      return 'set';
    });
  }

  markEmailVerified(id: string, emailKey: string): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.user(id);
      return (await this.durable([key], () => this.client.markEmailVerified([key], [emailKey]))) === 1;
    });
  }

  setPasswordHash(id: string, passwordHash: string, changedAt?: number): Promise<boolean> {
    return this.#setFields(id, ['password_hash', passwordHash, ...(changedAt === undefined ? [] : ['password_changed_at', String(changedAt)])]);
  }

  setDisabled(id: string, disabled: boolean): Promise<boolean> {
    return this.#setFields(id, ['disabled', disabled ? '1' : '0']);
  }

  /** Pages through the usernames index by lex range; an entry whose name leads to no user (half-written, deleted) is skipped. */
  list(query: UserQuery): Promise<{ users: UserRecord[]; last: string | undefined }> {
    return this.guard(async () => {
      await this.#backfillIndex();
      const from = query.after === undefined ? `[${query.prefix}` : `(${query.after}`;
      const to = Buffer.concat([Buffer.from(`[${query.prefix}`), HIGHEST_BYTE]);
      const names = await this.client.zRange(this.keys.usernames(), from, to, { BY: 'LEX', LIMIT: { offset: 0, count: query.limit } });
      const found = await Promise.all(names.map((name) => this.findByUsernameKey(name)));
      const users = found.filter((user, index): user is UserRecord => user?.usernameKey === names[index]);
      return { users, last: names.length === query.limit ? names.at(-1) : undefined };
    });
  }

  /**
   * Frees the name first (only while it names this user), then drops the index entry and the record: a crash between
   * the steps leaves at worst a record no name leads to, never a name that leads nowhere and stays locked.
   */
  delete(id: string): Promise<UserRecord | undefined> {
    return this.guard(async () => {
      const user = await this.findById(id);
      if (!user) return undefined;
      const name = this.keys.username(user.usernameKey);
      await this.durable([name], () => this.client.deleteIfEquals([name], [id]));
      if (user.email) await this.#releaseEmail(user.email.key, id);
      if ((await this.client.get(name)) === null) await this.durable([this.keys.usernames()], () => this.client.zRem(this.keys.usernames(), user.usernameKey));
      const key = this.keys.user(id);
      await this.durable([key], () => this.client.del(key));
      return user;
    });
  }

  /**
   * Users created by a build without the index have no entry: the first list after an upgrade adds every claimed
   * username (one SCAN of the key space), then marks the index complete. Running twice changes nothing.
   */
  async #backfillIndex(): Promise<void> {
    if ((await this.client.get(this.keys.usernamesIndexed())) !== null) return;
    const namePrefix = this.keys.username('');
    for await (const batch of this.scan(`${namePrefix.replace(/[*?[\]\\]/g, '\\$&')}*`)) {
      const members = batch.map((key) => ({ score: 0, value: key.slice(namePrefix.length) }));
      await this.durable([this.keys.usernames()], () => this.client.zAdd(this.keys.usernames(), members));
    }
    await this.durable([this.keys.usernamesIndexed()], () => this.client.set(this.keys.usernamesIndexed(), '1'));
  }

  /**
   * Claims an address for a user whose record already holds it: true when the claim is (now) the user's. A claim of
   * another user whose record no longer holds the address is stale and taken over, only while it still names that user.
   */
  async #claimEmail(emailKey: string, id: string): Promise<boolean> {
    const claim = this.keys.email(emailKey);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      if ((await this.durable([claim], () => this.client.set(claim, id, { NX: true }))) === 'OK') return true;
      const owner = await this.client.get(claim);
      if (owner === id) return true;
      if (owner === null) continue;
      if ((await this.findById(owner))?.email?.key === emailKey) return false;
      if ((await this.durable([claim], () => this.client.replaceIfEquals([claim], [owner, id]))) === 1) return true;
    }
    return false;
  }

  /** Frees an address only while it names this user: one another user has claimed meanwhile stays theirs. */
  async #releaseEmail(emailKey: string, id: string): Promise<void> {
    const claim = this.keys.email(emailKey);
    await this.durable([claim], () => this.client.deleteIfEquals([claim], [id]));
  }

  #setFields(id: string, pairs: string[]): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.user(id);
      return (await this.durable([key], () => this.client.setUserFields([key], pairs))) === 1;
    });
  }
}
