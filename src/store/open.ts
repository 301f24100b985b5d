import type { BaseLogger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { MemoryStore } from './memory/memory-store.js';
import { connectRedis, type RedisClient } from './redis/connection.js';
import { RedisStore } from './redis/redis-store.js';
import type { Store } from './types.js';

/**
 * Warns when Redis may evict keys: an evicted revocation entry would make a revoked token valid again
 * and an evicted session would log users out. CONFIG may be forbidden by an ACL; then nothing is said.
 */
export async function warnOnEviction(client: RedisClient, logger: BaseLogger): Promise<void> {
  try {
    const config = (await client.configGet('maxmemory-policy')) as Record<string, string>;
    const policy = config['maxmemory-policy'];
    if (policy !== undefined && policy !== 'noeviction') {
      logger.warn({ policy }, 'Redis maxmemory-policy is not noeviction: revocations and sessions could be evicted; set maxmemory-policy noeviction');
    }
  } catch {
    // not allowed to read the configuration
  }
}

/** Opens the configured store: Redis (REDIS_URL), or the embedded in-memory store (with a warning). */
export async function openStore(config: Config, logger: BaseLogger, clock: () => number = Date.now): Promise<Store> {
  if (config.store === 'memory' || config.redisUrl === undefined) {
    logger.warn('REDIS_URL is not set: using the embedded in-memory store; its state is lost on restart and not shared between instances');
    return new MemoryStore(clock);
  }
  try {
    const client = await connectRedis(config.redisUrl, logger);
    await warnOnEviction(client, logger);
    return new RedisStore(client, config.redisKeyPrefix, logger, clock, config.redisCommandTimeout);
  } catch (error) {
    // The message names the variable, never the URL: it may carry a password.
    throw new ConfigError('REDIS_URL', `cannot connect to Redis (${(error as Error).name})`);
  }
}
