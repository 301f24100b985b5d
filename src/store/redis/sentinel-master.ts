import { createClient } from 'redis';
import type { BaseLogger } from 'pino';
import { StoreUnavailableError } from '../../errors.js';
import { STORE_SCRIPTS } from './scripts.js';
import type { SentinelAddress } from './topology.js';
import { within } from './within.js';

/** How often the sentinels are asked which server is master. */
export const ASK_INTERVAL_MS = 250;

/** How long one sentinel, or a server named master, may take to answer before it counts as not answering. */
const ANSWER_TIMEOUT_MS = 1000;

/** What the store's connection to a Sentinel-managed master needs to know. */
export interface SentinelSettings {
  sentinels: SentinelAddress[];
  /** The master's name in the sentinels' configuration (REDIS_SENTINEL_NAME). */
  name: string;
  sentinelPassword?: string;
  /** The password of the master and its replicas. */
  password?: string;
}

/** The options every connection to a Redis server of the store shares (connection.ts). */
export interface NodeOptions {
  disableOfflineQueue: boolean;
  socket: { connectTimeout: number; reconnectStrategy: (retries: number) => number };
}

function createNode(address: SentinelAddress, options: NodeOptions, password: string | undefined) {
  return createClient({
    ...options,
    socket: { ...options.socket, host: address.host, port: address.port },
    ...(password === undefined ? {} : { password }),
    scripts: STORE_SCRIPTS,
  });
}

/** A node-redis client of one server, with the store's scripts as commands. */
export type NodeClient = ReturnType<typeof createNode>;

const key = (address: SentinelAddress) => `${address.host}:${address.port}`;

/**
 * Follows the master a set of sentinels names, with one connection to it at a time. Every ASK_INTERVAL_MS it asks
 * every sentinel (SENTINEL GET-MASTER-ADDR-BY-NAME) and moves to the server a majority of them name, once that server
 * says it is a master (ROLE), as the Sentinel client guidelines ask. A majority is what Sentinel itself needs to
 * authorise a failover, so one sentinel cut off from the others cannot send the store back to a demoted master.
 *
 * node-redis's own Sentinel client is not used: while a failover is in progress it holds every command until the
 * sentinel it asks stops flagging the master, a second at a time, so requests time out for seconds after the switch;
 * and its periodic discovery holds commands while it runs. Here commands never wait for discovery: they go to the
 * current master, and those still waiting on the old one when the store moves fail at once (503, retried).
 */
export class SentinelMaster {
  #master: NodeClient;
  #address: string;
  #epoch = 0;
  readonly #sentinels: NodeClient[];
  readonly #switchListeners = new Set<(master: NodeClient) => void>();
  readonly #timer: NodeJS.Timeout;
  #asking = false;
  #closed = false;

  private constructor(
    private readonly settings: SentinelSettings,
    private readonly options: NodeOptions,
    private readonly logger: BaseLogger,
    sentinels: NodeClient[],
    master: NodeClient,
    address: string,
  ) {
    this.#sentinels = sentinels;
    this.#master = master;
    this.#address = address;
    this.#timer = setInterval(() => void this.#ask(), ASK_INTERVAL_MS).unref();
  }

  /** Connects to the sentinels and to the master a majority of them name; fails when none is named in `timeoutMs`. */
  static async connect(settings: SentinelSettings, options: NodeOptions, logger: BaseLogger, timeoutMs: number): Promise<SentinelMaster> {
    const sentinels = settings.sentinels.map((address) => createNode(address, options, settings.sentinelPassword));
    for (const sentinel of sentinels) sentinel.on('error', () => {});
    // A sentinel that is down now is still asked once it is back (its client reconnects by itself).
    await Promise.allSettled(sentinels.map((sentinel) => within(sentinel.connect(), timeoutMs, 'a sentinel')));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const named = await majorityMaster(sentinels, settings.name);
      const master = named === undefined ? undefined : await connectMaster(named, options, settings.password);
      if (named !== undefined && master !== undefined) return new SentinelMaster(settings, options, logger, sentinels, master, key(named));
      if (Date.now() > deadline) {
        for (const sentinel of sentinels) sentinel.destroy();
        throw new StoreUnavailableError(`no master named ${settings.name} by a majority of the sentinels within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, ASK_INTERVAL_MS));
    }
  }

  /** The connection to the current master. */
  get client(): NodeClient {
    return this.#master;
  }

  /** Which master the store uses now, as a number that grows each time it moves to another. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Calls `listener` with the new master's connection each time the store moves to another. */
  onSwitch(listener: (master: NodeClient) => void): () => void {
    this.#switchListeners.add(listener);
    return () => this.#switchListeners.delete(listener);
  }

  /** Asks the sentinels once (every ASK_INTERVAL_MS by itself) and moves to the master they name, if it changed. */
  async #ask(): Promise<void> {
    if (this.#asking || this.#closed) return;
    this.#asking = true;
    try {
      const named = await majorityMaster(this.#sentinels, this.settings.name);
      if (named === undefined || key(named) === this.#address) return;
      const master = await connectMaster(named, this.options, this.settings.password);
      if (master === undefined) return;
      if (this.#closed) return master.destroy();
      const previous = this.#master;
      this.#master = master;
      this.#address = key(named);
      this.#epoch += 1;
      this.logger.info({ master: this.#address }, 'redis sentinel: following the new master');
      for (const listener of this.#switchListeners) listener(master);
      // What still waits on the old master (a WAIT it cannot satisfy any more) fails now and is answered 503.
      previous.destroy();
    } finally {
      this.#asking = false;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const sentinel of this.#sentinels) sentinel.destroy();
    if (this.#master.isOpen) await this.#master.close();
  }
}

/** The master a majority of the sentinels name now, or undefined when no address has a majority. */
async function majorityMaster(sentinels: NodeClient[], name: string): Promise<SentinelAddress | undefined> {
  const answers = await Promise.allSettled(
    sentinels.map(async (sentinel) => {
      const reply = (await within(sentinel.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]), ANSWER_TIMEOUT_MS, 'a sentinel')) as
        [string, string] | null;
      return reply === null ? undefined : { host: reply[0], port: Number(reply[1]) };
    }),
  );
  const votes = new Map<string, { address: SentinelAddress; count: number }>();
  for (const answer of answers) {
    if (answer.status !== 'fulfilled' || answer.value === undefined) continue;
    const vote = votes.get(key(answer.value)) ?? { address: answer.value, count: 0 };
    vote.count += 1;
    votes.set(key(answer.value), vote);
  }
  return [...votes.values()].find((vote) => vote.count > sentinels.length / 2)?.address;
}

/** A connection to `address` if it answers ROLE as a master; undefined otherwise (not yet promoted, or unreachable). */
async function connectMaster(address: SentinelAddress, options: NodeOptions, password: string | undefined): Promise<NodeClient | undefined> {
  const client = createNode(address, options, password);
  client.on('error', () => {});
  try {
    await within(client.connect(), ANSWER_TIMEOUT_MS, 'the named master');
    const role = (await within(client.sendCommand(['ROLE']), ANSWER_TIMEOUT_MS, 'the named master')) as unknown[];
    if (role[0] === 'master') return client;
  } catch {
    // asked again at the next interval
  }
  client.destroy();
  return undefined;
}
