import type { UserRecord, UserStore } from '../types.js';
import type { Guard, RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';
import { luaScript } from './lua.js';

// Claims the username and writes the user in one step, so a crash never leaves one without the other.
const CREATE_USER = luaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('HSET', KEYS[2], unpack(ARGV, 2))
  return 1
end
return 0`);

// Updates fields of an existing user only: HSET alone would create a stray record for a deleted one.
const SET_USER_FIELDS = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
  return 1
end
return 0`);

/** The user scripts, by the name the Redis client gives each. */
export const USER_SCRIPTS = { createUser: CREATE_USER, setUserFields: SET_USER_FIELDS };

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
  ];
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
  };
}

/** Users in Redis: a hash per user and a username → id key that makes names unique. */
export class RedisUsers implements UserStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  create(user: UserRecord): Promise<boolean> {
    return this.guard(
      async () => (await this.client.createUser([this.keys.username(user.usernameKey), this.keys.user(user.id)], [user.id, ...userFields(user)])) === 1,
    );
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

  setPasswordHash(id: string, passwordHash: string, changedAt?: number): Promise<boolean> {
    return this.#setFields(id, ['password_hash', passwordHash, ...(changedAt === undefined ? [] : ['password_changed_at', String(changedAt)])]);
  }

  setDisabled(id: string, disabled: boolean): Promise<boolean> {
    return this.#setFields(id, ['disabled', disabled ? '1' : '0']);
  }

  #setFields(id: string, pairs: string[]): Promise<boolean> {
    return this.guard(async () => (await this.client.setUserFields([this.keys.user(id)], pairs)) === 1);
  }
}
