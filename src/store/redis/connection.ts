import { createClient, ErrorReply } from 'redis';
import type { BaseLogger } from 'pino';
import { StoreUnavailableError } from '../../errors.js';

import { STORE_SCRIPTS } from './scripts.js';

/** Milliseconds to wait for the first connection at start. */
const CONNECT_TIMEOUT_MS = 5000;

function createStoreClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
    scripts: STORE_SCRIPTS,
  });
}

/** The node-redis client the Redis store uses, with the store's Lua scripts as commands. */
export type RedisClient = ReturnType<typeof createStoreClient>;

/**
 * Opens a node-redis connection that fails commands at once while disconnected (no offline queue,
 * so a request answers 503 instead of hanging) and reconnects in the background with capped backoff.
 */
export async function connectRedis(url: string, logger: BaseLogger): Promise<RedisClient> {
  const client = createStoreClient(url);
  let healthy = true;
  // Without a listener node-redis would throw the error and end the process; log each outage once.
  client.on('error', (error: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.error({ err: error.message }, 'redis connection error; commands fail until it reconnects');
  });
  client.on('ready', () => {
    if (!healthy) logger.info('redis connection restored');
    healthy = true;
  });
  await client.connect();
  return client;
}

/** Runs a store operation against Redis with the failure rules of makeGuard. */
export type Guard = <T>(operation: () => Promise<T>) => Promise<T>;

/**
 * Wraps Redis calls: a connection problem, or no answer within timeoutMs (a Redis that is slow,
 * paused or unreachable), becomes StoreUnavailableError (503 with Retry-After); a Redis error reply
 * stays what it is, a bug (500). A late reply after the timeout is still read in order and dropped.
 */
export function makeGuard(timeoutMs: number): Guard {
  return async <T>(operation: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`the store did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([operation(), timeout]);
    } catch (error) {
      if (error instanceof ErrorReply || error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError('the store is unavailable', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
}
