import type { UserRecord, UserStore } from '../types.js';
import type { Durable, Guard, StoreClient } from './connection.js';
import type { RedisKeys } from './keys.js';
import { luaScript, pairsToObject } from './lua.js';

// Updates fields of an existing user only: HSET alone would create a stray record for a deleted one.
const SET_USER_FIELDS = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
  return 1
end
return 0`);

/** The user scripts, by the name the Redis client gives each. */
export const USER_SCRIPTS = { setUserFields: SET_USER_FIELDS };

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
    private readonly client: StoreClient,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  /**
   * Writes the user, then claims the username for it; a name already taken removes the record again. On a cluster
   * the two keys live in different slots, so this order means a crash between them leaves at worst a record no name
   * leads to, never a name that leads nowhere (which would lock the name).
   */
  create(user: UserRecord): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.user(user.id);
      await this.durable([key], () => this.client.hSet(key, pairsToObject(userFields(user))));
      const name = this.keys.username(user.usernameKey);
      if ((await this.durable([name], () => this.client.set(name, user.id, { NX: true }))) === 'OK') return true;
      await this.client.del(key);
      return false;
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

  setPasswordHash(id: string, passwordHash: string, changedAt?: number): Promise<boolean> {
    return this.#setFields(id, ['password_hash', passwordHash, ...(changedAt === undefined ? [] : ['password_changed_at', String(changedAt)])]);
  }

  setDisabled(id: string, disabled: boolean): Promise<boolean> {
    return this.#setFields(id, ['disabled', disabled ? '1' : '0']);
  }

  #setFields(id: string, pairs: string[]): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.user(id);
      return (await this.durable([key], () => this.client.setUserFields([key], pairs))) === 1;
    });
  }
}
