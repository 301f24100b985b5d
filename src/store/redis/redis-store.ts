import type { BaseLogger } from 'pino';
import type {
  AuthorizationCodeStore,
  ConsentStore,
  LoginFailureStore,
  RateLimitStore,
  RevocationStore,
  SessionStore,
  SignInStore,
  Store,
  UserStore,
} from '../types.js';
import { RedisLoginFailures, RedisRateLimits } from './limits.js';
import { makeGuard, type Guard, type RedisClient } from './connection.js';
import { redisKeys } from './keys.js';
import { RedisRevocations } from './revocations.js';
import { RedisSessions } from './sessions.js';
import { RedisCodes, RedisConsents, RedisSignIns } from './sign-ins.js';
import { RedisUsers } from './users.js';

/** The Redis store: shared by every instance; every key starts with the configured prefix. */
export class RedisStore implements Store {
  readonly kind = 'redis';
  /** What every key of this store starts with (REDIS_KEY_PREFIX). */
  readonly prefix: string;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly revocations: RevocationStore;
  readonly rateLimits: RateLimitStore;
  readonly loginFailures: LoginFailureStore;
  readonly signIns: SignInStore;
  readonly codes: AuthorizationCodeStore;
  readonly consents: ConsentStore;
  readonly #client: RedisClient;
  readonly #guard: Guard;

  constructor(client: RedisClient, prefix: string, logger: BaseLogger, clock: () => number = Date.now, commandTimeoutMs = 2000) {
    this.#client = client;
    this.prefix = prefix;
    this.#guard = makeGuard(commandTimeoutMs);
    const keys = redisKeys(prefix);
    this.users = new RedisUsers(this.#guard, client, keys);
    this.sessions = new RedisSessions(this.#guard, client, keys, clock);
    this.revocations = new RedisRevocations(this.#guard, client, keys, logger);
    this.rateLimits = new RedisRateLimits(this.#guard, client, keys);
    this.loginFailures = new RedisLoginFailures(this.#guard, client, keys);
    this.signIns = new RedisSignIns(this.#guard, client, keys, clock);
    this.codes = new RedisCodes(this.#guard, client, keys);
    this.consents = new RedisConsents(this.#guard, client, keys);
  }

  ping(): Promise<void> {
    return this.#guard(async () => {
      await this.#client.ping();
    });
  }

  async close(): Promise<void> {
    if (this.#client.isOpen) await this.#client.close();
  }
}
