import { createHash } from 'node:crypto';
import { createClient, ErrorReply } from 'redis';
import type { BaseLogger } from 'pino';
import { StoreUnavailableError } from '../../errors.js';

/** The node-redis client the Redis store uses. */
export type RedisClient = ReturnType<typeof createClient>;

/** Milliseconds to wait for the first connection at start. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Opens a node-redis connection that fails commands at once while disconnected (no offline queue,
 * so a request answers 503 instead of hanging) and reconnects in the background with capped backoff.
 */
export async function connectRedis(url: string, logger: BaseLogger): Promise<RedisClient> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
  });
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

/** Runs a Redis call; a connection problem becomes StoreUnavailableError (503), a Redis error reply stays a bug (500). */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ErrorReply) throw error;
    throw new StoreUnavailableError('the store is unavailable', { cause: error });
  }
}

/** A Lua script run by EVALSHA, loaded with EVAL on the first NOSCRIPT (after a Redis restart, say). */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script atomically in Redis. */
  async run(client: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await client.evalSha(this.#sha, { keys, arguments: args });
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.#source, { keys, arguments: args });
    }
  }
}
