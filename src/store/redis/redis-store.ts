import type { BaseLogger } from 'pino';
import type { RevocationStore, SessionStore, Store, UserStore } from '../types.js';
import { guarded, type RedisClient } from './connection.js';
import { redisKeys } from './keys.js';
import { RedisRevocations } from './revocations.js';
import { RedisSessions } from './sessions.js';
import { RedisUsers } from './users.js';

/** The Redis store: shared by every instance; every key starts with the configured prefix. */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly revocations: RevocationStore;
  readonly #client: RedisClient;

  constructor(client: RedisClient, prefix: string, logger: BaseLogger, clock: () => number = Date.now) {
    this.#client = client;
    const keys = redisKeys(prefix);
    this.users = new RedisUsers(client, keys);
    this.sessions = new RedisSessions(client, keys, prefix, clock);
    this.revocations = new RedisRevocations(client, keys, prefix, logger);
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
