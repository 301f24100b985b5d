import type { BaseLogger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { MemoryStore } from './memory/memory-store.js';
import { connectStore, type StoreConnection } from './redis/connection.js';
import { RedisStore } from './redis/redis-store.js';
import { redisAddress, type RedisTopology } from './redis/topology.js';
import type { Store } from './types.js';

/** When the first "waiting for Redis" line is logged, and how often after it, while Redis does not answer at start. */
const FIRST_WAIT_LINE_MS = 1000;
const WAIT_LINE_INTERVAL_MS = 10_000;

/** How long to wait before asking a cluster or the sentinels again (one server's client keeps trying by itself). */
const RETRY_DELAY_MS = 1000;

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

/**
 * Connects to Redis, however long it takes to answer: a server that is not up yet (a container started before its
 * Redis, a Redis restarting) is waited for, with a "waiting for Redis at …" line after a second and every ten seconds
 * after it. REDIS_CONNECT_TIMEOUT (seconds, 0 for none) bounds the wait: then the start fails, naming the variable.
 */
async function connectWaiting(redis: RedisTopology, config: Config, logger: BaseLogger): Promise<StoreConnection> {
  const where = redisAddress(redis);
  const started = Date.now();
  const giveUp = new AbortController();
  const say = () => logger.warn({ redis: where, waited_s: Math.round((Date.now() - started) / 1000) }, `waiting for Redis at ${where}`);
  let ticker: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    say();
    ticker = setInterval(say, WAIT_LINE_INTERVAL_MS);
  }, FIRST_WAIT_LINE_MS);
  const deadline = config.redisConnectTimeout > 0 ? setTimeout(() => giveUp.abort(), config.redisConnectTimeout * 1000) : undefined;
  try {
    for (;;) {
      try {
        return await connectStore(redis, logger, giveUp.signal);
      } catch (error) {
        if (giveUp.signal.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        if (giveUp.signal.aborted) throw error;
      }
    }
  } catch (error) {
    const waited = giveUp.signal.aborted ? `within REDIS_CONNECT_TIMEOUT (${config.redisConnectTimeout} s)` : `(${(error as Error).name})`;
    throw new ConfigError(redisSetting(config), `cannot connect to Redis at ${where} ${waited}`);
  } finally {
    clearTimeout(first);
    clearInterval(ticker);
    clearTimeout(deadline);
  }
}

/** Opens the configured store: Redis (one server, a cluster or sentinels), or the embedded in-memory store (with a warning). */
export async function openStore(config: Config, logger: BaseLogger, clock: () => number = Date.now): Promise<Store> {
  if (config.store === 'memory' || config.redis === undefined) {
    logger.warn(
      'no Redis is configured (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS): using the embedded in-memory store; its state is lost on restart and not shared between instances',
    );
    return new MemoryStore(clock);
  }
  // Errors name the variable and the host, never the URL: it may carry a password.
  const connection = await connectWaiting(config.redis, config, logger);
  await warnOnEviction(connection, logger);
  return new RedisStore(connection, config.redisKeyPrefix, logger, clock, config.redisCommandTimeout, {
    replicas: config.redisWaitReplicas,
    timeoutMs: config.redisWaitTimeout,
  });
}
