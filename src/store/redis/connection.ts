import { createRequire } from 'node:module';
import { createClient, createCluster, ErrorReply } from 'redis';
import type { BaseLogger } from 'pino';
import { StoreUnavailableError } from '../../errors.js';

import type { Durable, Guard, ScriptClient } from './commands.js';
import { ReplicaWatch } from './replica-watch.js';
import { STORE_SCRIPTS } from './scripts.js';
import { SentinelMaster, type NodeClient } from './sentinel-master.js';
import type { RedisTopology } from './topology.js';
import { within } from './within.js';

/** Redis Cluster's slot of a key (CRC16 of its hash tag, or of the whole key), as node-redis computes it. */
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** Milliseconds to wait for the first connection at start. */
const CONNECT_TIMEOUT_MS = 5000;

const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 2000);

// No offline queue: while disconnected a command fails at once, so a request answers 503 instead of hanging.
const NODE_OPTIONS = { disableOfflineQueue: true, socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy } };

function createStoreClient(url: string) {
  return createClient({ url, ...NODE_OPTIONS, scripts: STORE_SCRIPTS });
}

function createStoreCluster(nodes: string[]) {
  // A node's own options come from its seed URL (credentials, TLS); every node, found or seeded, shares the rest.
  return createCluster({ rootNodes: nodes.map((url) => ({ url })), defaults: NODE_OPTIONS, scripts: STORE_SCRIPTS, maxCommandRedirections: 32 });
}

/** The node-redis client of one Redis server, with the store's Lua scripts as commands. */
export type RedisClient = ReturnType<typeof createStoreClient>;
type ClusterClient = ReturnType<typeof createStoreCluster>;

/** What the store's modules send commands through, on every topology: the plain commands and every script. */
export type StoreClient = ScriptClient<typeof STORE_SCRIPTS>;

/** A subscription to one channel: `close` ends it. */
export interface ChannelSubscription {
  close(): Promise<void>;
}

/** What the feed's subscriber hears: messages, and (where the client tells) when it stops and starts receiving. */
export interface ChannelListener {
  message(message: string): void;
  down(): void;
  up(): void;
}

/**
 * A connection to the configured Redis, whichever its topology: the commands, readiness, the revocation feed's
 * subscription and the eviction policy.
 */
export interface StoreConnection {
  readonly topology: RedisTopology['kind'];
  readonly client: StoreClient;
  /** Answers when Redis can serve the store's commands (for a cluster: every slot is served). */
  ping(): Promise<void>;
  /** Subscribes to a channel on a connection of its own; on a cluster, a shard channel (SSUBSCRIBE). */
  subscribe(channel: string, listener: ChannelListener): Promise<ChannelSubscription>;
  /**
   * WAIT on the server of each key: how many replicas (the fewest over the keys' servers) acknowledged every write
   * sent before it on the same connection.
   */
  replicasAcknowledging(keys: string[], replicas: number, timeoutMs: number): Promise<number>;
  /**
   * How many replicas a write must reach, given the configured minimum: on Sentinel every replica the master keeps
   * online (ReplicaWatch); elsewhere the minimum.
   */
  requiredReplicas(minimum: number): number;
  /**
   * Which server takes writes to each key now, as a value that differs once another does: a WAIT that follows a
   * failover reaches the new master, which never saw the write it should vouch for.
   */
  writers(keys: string[]): unknown[];
  /** The maxmemory-policy of the server that takes writes (of one master, on a cluster). */
  evictionPolicy(): Promise<string | undefined>;
  /** Every key that matches a SCAN pattern, a batch at a time (on a cluster, from every master); for rare maintenance only. */
  scan(pattern: string): AsyncGenerator<string[]>;
  close(): Promise<void>;
}

/** SCAN over one server, through `send` (a connection to it): batches of matching keys until the cursor returns to 0. */
async function* scanServer(send: (args: string[]) => Promise<unknown>, pattern: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = (await send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [string, string[]];
    cursor = String(next);
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** Logs each outage once and each recovery once; without an error listener node-redis would end the process. */
function logOutages(emitter: { on(event: string, listener: (error: Error | string) => void): unknown }, logger: BaseLogger, what: string) {
  let healthy = true;
  emitter.on('error', (error: Error | string) => {
    if (!healthy) return;
    healthy = false;
    logger.error({ err: typeof error === 'string' ? error : error.message }, `${what} error; commands fail until it reconnects`);
  });
  const restored = () => {
    if (!healthy) logger.info(`${what} restored`);
    healthy = true;
  };
  emitter.on('ready', restored);
  emitter.on('node-ready', restored);
  emitter.on('topology-change', restored);
}

/**
 * Opens one node-redis connection to a single Redis server (tests use it directly). While the server is unreachable
 * the client keeps trying (reconnectStrategy), so this waits until it answers, or until `signal` gives up.
 */
export async function connectRedis(url: string, logger: BaseLogger, signal?: AbortSignal): Promise<RedisClient> {
  const client = createStoreClient(url);
  logOutages(client, logger, 'redis connection');
  if (signal === undefined) {
    await client.connect();
    return client;
  }
  const givenUp = new Promise<never>((_resolve, reject) => {
    const giveUp = () => reject(new StoreUnavailableError('gave up waiting for Redis'));
    if (signal.aborted) giveUp();
    else signal.addEventListener('abort', giveUp, { once: true });
  });
  try {
    await Promise.race([client.connect(), givenUp]);
  } catch (error) {
    client.destroy();
    throw error;
  }
  return client;
}

function singleConnection(client: RedisClient): StoreConnection {
  return {
    topology: 'single',
    client,
    ping: async () => {
      await client.ping();
    },
    async subscribe(channel, listener) {
      // Pub/sub needs a connection of its own; node-redis resubscribes it after a reconnect.
      const subscriber = client.duplicate();
      let receiving = false;
      const down = () => {
        if (!receiving) return;
        receiving = false;
        listener.down();
      };
      subscriber.on('error', down);
      subscriber.on('end', down);
      subscriber.on('reconnecting', down);
      subscriber.on('ready', () => {
        // The first 'ready' comes before SUBSCRIBE has been sent; later ones follow a reconnect and resubscription.
        if (!receiving && subscribed) {
          receiving = true;
          listener.up();
        }
      });
      let subscribed = false;
      await subscriber.connect();
      await subscriber.subscribe(channel, (message: string) => listener.message(message));
      subscribed = true;
      receiving = true;
      return { close: async () => void (subscriber.isOpen && (await subscriber.close())) };
    },
    replicasAcknowledging: async (_keys, replicas, timeoutMs) => Number(await client.sendCommand(['WAIT', String(replicas), String(timeoutMs)])),
    requiredReplicas: (minimum) => minimum,
    writers: (keys) => keys.map(() => client),
    scan: (pattern) => scanServer((args) => client.sendCommand(args), pattern),
    evictionPolicy: async () => ((await client.configGet('maxmemory-policy')) as Record<string, string>)['maxmemory-policy'],
    close: async () => void (client.isOpen && (await client.close())),
  };
}

function clusterConnection(cluster: ClusterClient): StoreConnection {
  return {
    topology: 'cluster',
    client: cluster,
    async ping() {
      const info = String(await cluster.sendCommand(undefined, true, ['CLUSTER', 'INFO']));
      if (!info.includes('cluster_state:ok')) throw new StoreUnavailableError('the Redis Cluster does not serve every slot');
    },
    async subscribe(channel, listener) {
      // A shard channel (Redis 7): its messages travel within the shard that owns its slot, not to every node of
      // the cluster, and node-redis follows the slot when it moves. The revocation feed finds what it missed by its
      // sequence counter (revocations.ts), so a message lost while the slot changes hands is taken from the log.
      const subscriber = cluster.duplicate();
      subscriber.on('error', () => {});
      await subscriber.connect();
      await subscriber.sSubscribe(channel, (message: string) => listener.message(message));
      return { close: async () => void (subscriber.isOpen && (await subscriber.close())) };
    },
    async replicasAcknowledging(keys, replicas, timeoutMs) {
      // One WAIT per key, on the connection to the master of its slot, which carried the key's writes.
      const wait = (key: string) => cluster.sendCommand(key, false, ['WAIT', String(replicas), String(timeoutMs)]);
      return Math.min(...(await Promise.all([...new Set(keys)].map(wait))).map(Number));
    },
    // A cluster failover of a live master is coordinated (CLUSTER FAILOVER: the master stops taking writes until its
    // replica has caught up), so no demoted master goes on acknowledging writes: the minimum is enough.
    requiredReplicas: (minimum) => minimum,
    writers: (keys) => keys.map((key) => cluster.slots[calculateSlot(key)]?.master),
    async *scan(pattern) {
      for (const master of cluster.masters) {
        const node = await cluster.nodeClient(master);
        yield* scanServer((args) => node.sendCommand(args), pattern);
      }
    },
    async evictionPolicy() {
      const master = cluster.masters[0];
      if (master === undefined) return undefined;
      const node = await cluster.nodeClient(master);
      return ((await node.configGet('maxmemory-policy')) as Record<string, string>)['maxmemory-policy'];
    },
    close: async () => void (cluster.isOpen && (await cluster.close())),
  };
}

/** A StoreClient whose every command goes to `current()` at the moment it is sent. */
function following(current: () => NodeClient): StoreClient {
  return new Proxy({} as StoreClient, {
    get(_target, name) {
      const client = current();
      const member: unknown = Reflect.get(client, name);
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(client) : member;
    },
  });
}

/** A subscription to `channel` on the current master that moves to each new one. */
async function followingSubscription(sentinel: SentinelMaster, channel: string, listener: ChannelListener): Promise<ChannelSubscription> {
  const open = async (master: NodeClient) => {
    const subscriber = master.duplicate();
    subscriber.on('error', () => {});
    await subscriber.connect();
    await subscriber.subscribe(channel, (message: string) => listener.message(message));
    return subscriber;
  };
  let subscriber = await open(sentinel.client);
  // What is published while the subscription moves, the feed's sequence counter finds (revocations.ts); the mirror
  // stays up meanwhile, so forward-auth and introspection go on answering from it through a failover.
  const stopFollowing = sentinel.onSwitch((master) => {
    const previous = subscriber;
    void open(master).then(
      (next) => {
        subscriber = next;
        previous.destroy();
      },
      () => undefined,
    );
  });
  return {
    close: async () => {
      stopFollowing();
      if (subscriber.isOpen) await subscriber.close().catch(() => undefined);
    },
  };
}

function sentinelConnection(sentinel: SentinelMaster): StoreConnection {
  const replicas = new ReplicaWatch(
    () => sentinel.epoch,
    async () => String(await sentinel.client.sendCommand(['INFO', 'replication'])),
  );
  return {
    topology: 'sentinel',
    client: following(() => sentinel.client),
    ping: async () => {
      await sentinel.client.ping();
    },
    subscribe: (channel, listener) => followingSubscription(sentinel, channel, listener),
    // One connection to the master, which carried every write before this.
    replicasAcknowledging: async (_keys, replicas, timeoutMs) => Number(await sentinel.client.sendCommand(['WAIT', String(replicas), String(timeoutMs)])),
    requiredReplicas: (minimum) => replicas.required(minimum),
    writers: (keys) => keys.map(() => sentinel.epoch),
    scan: (pattern) => scanServer((args) => sentinel.client.sendCommand(args), pattern),
    evictionPolicy: async () => ((await sentinel.client.configGet('maxmemory-policy')) as Record<string, string>)['maxmemory-policy'],
    close: async () => {
      replicas.stop();
      await sentinel.close();
    },
  };
}

/** Connects to the configured Redis: one server, a cluster through its seed nodes, or the master sentinels name. */
export async function connectStore(topology: RedisTopology, logger: BaseLogger, signal?: AbortSignal): Promise<StoreConnection> {
  if (topology.kind === 'single') return singleConnection(await connectRedis(topology.url, logger, signal));
  if (topology.kind === 'cluster') {
    const cluster = createStoreCluster(topology.nodes);
    logOutages(cluster, logger, 'redis cluster');
    try {
      await cluster.connect();
    } catch (error) {
      cluster.destroy();
      throw error;
    }
    return clusterConnection(cluster);
  }
  const sentinel = await SentinelMaster.connect(topology, NODE_OPTIONS, logger, CONNECT_TIMEOUT_MS);
  logOutages(sentinel.client, logger, 'redis master');
  sentinel.onSwitch((master) => logOutages(master, logger, 'redis master'));
  return sentinelConnection(sentinel);
}

/** A StoreConnection over a single client that is already open (tests). */
export function storeConnection(client: RedisClient): StoreConnection {
  return singleConnection(client);
}

/**
 * What a write waits for before the store answers (REDIS_WAIT_REPLICAS): that many replicas acknowledged it (WAIT),
 * within timeoutMs, or the write counts as failed (503). Replication is asynchronous: a master that fails over loses
 * what its replica had not received, and a Sentinel failover lets the old master take writes until it learns it is
 * one no more. Those writes were never acknowledged to a client, so a retry makes them again on the new master.
 * On Sentinel a write waits for every replica its master keeps online, at least `replicas` (ReplicaWatch says why).
 * With 0 replicas, nothing is waited for.
 */
export function makeDurable(connection: StoreConnection, replicas: number, timeoutMs: number): Durable {
  if (replicas === 0) return (_keys, write) => write();
  return async (keys, write) => {
    const before = connection.writers(keys);
    const needed = connection.requiredReplicas(replicas);
    const result = await write();
    // After the write's reply, so that a script that had to be loaded first (NOSCRIPT, on a new master) is covered.
    const acknowledged = await connection.replicasAcknowledging(keys, needed, timeoutMs);
    if (acknowledged < needed) throw new StoreUnavailableError(`a write reached ${acknowledged} of ${needed} replicas within ${timeoutMs} ms`);
    const after = connection.writers(keys);
    if (before.some((writer, index) => writer !== after[index])) throw new StoreUnavailableError('the master changed while a write waited for its replicas');
    return result;
  };
}

/**
 * Wraps Redis calls: a connection problem, or no answer within timeoutMs (a Redis that is slow,
 * paused or unreachable), becomes StoreUnavailableError (503 with Retry-After); a Redis error reply
 * stays what it is, a bug (500), except the replies of a topology in motion (a cluster slot moving, a
 * failover), which are an outage too. A late reply after the timeout is still read in order and dropped.
 */
export function makeGuard(timeoutMs: number): Guard {
  return async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await within(operation(), timeoutMs, 'the store');
    } catch (error) {
      if (error instanceof ErrorReply && isTopologyChange(error)) throw new StoreUnavailableError('the store is changing topology', { cause: error });
      if (error instanceof ErrorReply || error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError('the store is unavailable', { cause: error });
    }
  };
}

/**
 * Error replies a failover or a slot migration gives for a while; the command may succeed when retried. The last is
 * a write's WAIT that reached its master after the master became a replica.
 */
const TOPOLOGY_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|READONLY|LOADING|MASTERDOWN|NOREPLICAS|UNBLOCKED)\b|^ERR WAIT cannot be used with replica/;

function isTopologyChange(error: ErrorReply): boolean {
  return TOPOLOGY_REPLIES.test(error.message);
}
