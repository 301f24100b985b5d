import type { BaseLogger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { MemoryStore } from './memory/memory-store.js';
import { connectStore, type StoreConnection } from './redis/connection.js';
import { RedisStore } from './redis/redis-store.js';
import type { Store } from './types.js';

/**
 * Warns when Redis may evict keys: an evicted revocation entry would make a revoked token valid again
 * and an evicted session would log users out. CONFIG may be forbidden by an ACL; then nothing is said.
 */
export async function warnOnEviction(connection: StoreConnection, logger: BaseLogger): Promise<void> {
  try {
    const policy = await connection.evictionPolicy();
    if (policy !== undefined && policy !== 'noeviction') {
      logger.warn({ policy }, 'Redis maxmemory-policy is not noeviction: revocations and sessions could be evicted; set maxmemory-policy noeviction');
    }
  } catch {
    // not allowed to read the configuration
  }
}

/** Which variable names the configured Redis, for an error message that must not carry its URL. */
function redisSetting(config: Config): string {
  if (config.redis?.kind === 'cluster') return 'REDIS_CLUSTER_NODES';
  return config.redis?.kind === 'sentinel' ? 'REDIS_SENTINELS' : 'REDIS_URL';
}

/** Opens the configured store: Redis (one server, a cluster or sentinels), or the embedded in-memory store (with a warning). */
export async function openStore(config: Config, logger: BaseLogger, clock: () => number = Date.now): Promise<Store> {
  if (config.store === 'memory' || config.redis === undefined) {
    logger.warn(
      'no Redis is configured (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS): using the embedded in-memory store; its state is lost on restart and not shared between instances',
    );
    return new MemoryStore(clock);
  }
  try {
    const connection = await connectStore(config.redis, logger);
    await warnOnEviction(connection, logger);
    return new RedisStore(connection, config.redisKeyPrefix, logger, clock, config.redisCommandTimeout, {
      replicas: config.redisWaitReplicas,
      timeoutMs: config.redisWaitTimeout,
    });
  } catch (error) {
    // The message names the variable, never the URL: it may carry a password.
    throw new ConfigError(redisSetting(config), `cannot connect to Redis (${(error as Error).name})`);
  }
}
