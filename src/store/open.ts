import type { BaseLogger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { MemoryStore } from './memory/memory-store.js';
import { connectRedis } from './redis/connection.js';
import { RedisStore } from './redis/redis-store.js';
import type { Store } from './types.js';

/** Opens the configured store: Redis when REDIS_URL is set, else the embedded in-memory store (with a warning). */
export async function openStore(config: Config, logger: BaseLogger, clock: () => number = Date.now): Promise<Store> {
  if (config.redisUrl === undefined) {
    logger.warn('REDIS_URL is not set: using the embedded in-memory store; its state is lost on restart and not shared between instances');
    return new MemoryStore(clock);
  }
  try {
    return new RedisStore(await connectRedis(config.redisUrl, logger), config.redisKeyPrefix, logger, clock);
  } catch (error) {
    // The message names the variable, never the URL: it may carry a password.
    throw new ConfigError('REDIS_URL', `cannot connect to Redis (${(error as Error).name})`);
  }
}
