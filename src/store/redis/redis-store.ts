import type { SessionRecord, SessionStore, Store, UserRecord, UserStore } from '../types.js';
import { guarded, LuaScript, type RedisClient } from './connection.js';

// Claims the username and writes the user in one step, so a crash never leaves one without the other.
const CREATE_USER = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('HSET', KEYS[2], unpack(ARGV, 2))
  return 1
end
return 0`);

// Updates the hash of an existing user only: HSET alone would create a stray record for a deleted one.
const SET_PASSWORD_HASH = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'password_hash', ARGV[1])
  return 1
end
return 0`);

function userFields(user: UserRecord): string[] {
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
    disabled: hash.disabled === '1',
  };
}

function sessionFromHash(hash: Record<string, string>): SessionRecord | undefined {
  if (!hash.sid) return undefined;
  return {
    sid: hash.sid,
    userId: hash.user_id ?? '',
    clientId: hash.client_id ?? '',
    scope: hash.scope ?? '',
    createdAt: Number(hash.created_at),
    userAgent: hash.user_agent ?? '',
    ip: hash.ip ?? '',
  };
}

class RedisUsers implements UserStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  #userKey(id: string): string {
    return `${this.prefix}user:${id}`;
  }

  #nameKey(usernameKey: string): string {
    return `${this.prefix}username:${usernameKey}`;
  }

  create(user: UserRecord): Promise<boolean> {
    return guarded(async () => {
      const created = await CREATE_USER.run(this.client, [this.#nameKey(user.usernameKey), this.#userKey(user.id)], [user.id, ...userFields(user)]);
      return created === 1;
    });
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return guarded(async () => userFromHash(await this.client.hGetAll(this.#userKey(id))));
  }

  findByUsernameKey(usernameKey: string): Promise<UserRecord | undefined> {
    return guarded(async () => {
      const id = await this.client.get(this.#nameKey(usernameKey));
      return id === null ? undefined : this.findById(id);
    });
  }

  setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    return guarded(async () => (await SET_PASSWORD_HASH.run(this.client, [this.#userKey(id)], [passwordHash])) === 1);
  }
}

class RedisSessions implements SessionStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  #key(sid: string): string {
    return `${this.prefix}session:${sid}`;
  }

  create(session: SessionRecord, ttlSeconds: number): Promise<void> {
    return guarded(async () => {
      const key = this.#key(session.sid);
      await this.client
        .multi()
        .hSet(key, {
          sid: session.sid,
          user_id: session.userId,
          client_id: session.clientId,
          scope: session.scope,
          created_at: String(session.createdAt),
          user_agent: session.userAgent,
          ip: session.ip,
        })
        .expire(key, ttlSeconds)
        .exec();
    });
  }

  get(sid: string): Promise<SessionRecord | undefined> {
    return guarded(async () => sessionFromHash(await this.client.hGetAll(this.#key(sid))));
  }
}

/** The Redis store: shared by every instance; every key starts with the configured prefix. */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly #client: RedisClient;

  constructor(client: RedisClient, prefix: string) {
    this.#client = client;
    this.users = new RedisUsers(client, prefix);
    this.sessions = new RedisSessions(client, prefix);
  }

  ping(): Promise<void> {
    return guarded(async () => {
      await this.#client.ping();
    });
  }

  async close(): Promise<void> {
    if (this.#client.isOpen) await this.#client.close();
  }
}
