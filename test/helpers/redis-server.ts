import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { RedisTopology } from '../../src/store/redis/topology.js';
import { startRedisCluster, startRedisSentinel, type TestTopology } from './redis-topologies.js';

/** A Redis server for one test file: its URL, a fresh key prefix per call, and control over its life. */
export interface TestRedis {
  /** One server's URL; under TEST_REDIS_TOPOLOGY, one node's (its seed), for tests that only read through it. */
  url: string;
  /** What the store connects to (connectStore). */
  topology: RedisTopology;
  /** A key prefix no other test uses, so tests never see each other's keys. */
  prefix(): string;
  /** Every key that starts with the prefix, wherever it lives, with its TTL in seconds (-1: none). */
  keys(prefix: string): Promise<Array<{ key: string; ttl: number }>>;
  /** Stops the server (for fault tests); restart() brings it back on the same port. */
  stop(): Promise<void>;
  /** Freezes the server with SIGSTOP (a stall: connections stay open, commands queue); resume() sends SIGCONT. */
  pause(): void;
  resume(): void;
  restart(): Promise<void>;
  /** Stops the server for good. */
  close(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPing(url: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < until) {
    const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 500 } });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      await client.close();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`redis at ${url} did not answer: ${(lastError as Error)?.message}`);
}

function spawnRedis(port: number, extraArgs: string[] = []): ChildProcess {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...extraArgs],
    {
      stdio: 'ignore',
    },
  );
  child.on('error', () => {});
  return child;
}

/**
 * Uses REDIS_URL when set; otherwise starts a private redis-server on a free loopback port.
 * Throws (and so fails the test loudly) when neither is possible: tests never skip for lack of Redis.
 */
export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const unique = () => `test-${randomBytes(6).toString('hex')}:`;
  const topology = process.env.TEST_REDIS_TOPOLOGY;
  if (topology === 'cluster' || topology === 'sentinel') return sharedTopology(topology);
  if (topology !== undefined) throw new Error(`TEST_REDIS_TOPOLOGY is cluster or sentinel, not ${topology}`);
  const external = process.env.REDIS_URL;
  if (external) {
    await waitForPing(external, 5000);
    const refuse = async () => {
      throw new Error('cannot stop the Redis named by REDIS_URL; fault tests need a private redis-server');
    };
    const refuseNow = () => {
      throw new Error('cannot pause the Redis named by REDIS_URL; fault tests need a private redis-server');
    };
    return {
      url: external,
      topology: { kind: 'single', url: external },
      prefix: unique,
      keys: (prefix) => keysAt(external, prefix),
      stop: refuse,
      restart: refuse,
      pause: refuseNow,
      resume: refuseNow,
      close: async () => {},
    };
  }
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed and REDIS_URL is not set: install it (apt-get install redis-server) or set REDIS_URL');
  }
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child = spawnRedis(port, extraArgs);
  await waitForPing(url, 5000);
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    url,
    topology: { kind: 'single', url },
    prefix: unique,
    keys: (prefix) => keysAt(url, prefix),
    stop,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    restart: async () => {
      child = spawnRedis(port, extraArgs);
      await waitForPing(url, 5000);
    },
    close: async () => {
      child.kill('SIGCONT');
      if (child.exitCode === null && child.signalCode === null) await stop();
    },
  };
}

/** Every key of one server that starts with the prefix, with its TTL in seconds (-1: none). */
export async function keysAt(url: string, prefix: string): Promise<Array<{ key: string; ttl: number }>> {
  const client = createClient({ url });
  await client.connect();
  try {
    const keys = await client.keys(`${prefix}*`);
    return await Promise.all(keys.map(async (key) => ({ key, ttl: await client.ttl(key) })));
  } finally {
    await client.close();
  }
}

let shared: Promise<TestTopology> | undefined;

/**
 * Under TEST_REDIS_TOPOLOGY (test/topologies/), every startRedis() of the process shares one Redis Cluster or one
 * Sentinel setup, started on first use and stopped by stopSharedTopology(). Its servers cannot be stopped one by one.
 */
async function sharedTopology(kind: 'cluster' | 'sentinel'): Promise<TestRedis> {
  shared ??= kind === 'cluster' ? startRedisCluster() : startRedisSentinel();
  return topologyHandle(await shared);
}

/** A TestRedis over a cluster or sentinel setup, for buildTestApp and the route tests. */
export function topologyHandle(setup: TestTopology): TestRedis {
  let stopped = false;
  return {
    url: setup.seed,
    topology: setup.topology,
    prefix: setup.prefix,
    keys: (prefix) => setup.keys(prefix),
    // Fault tests stop, stall and restart every server of the setup: the whole store goes away and comes back.
    // A test that stops its "own" server and leaves it so gets the setup back when it closes that server.
    stop: async () => {
      stopped = true;
      await setup.stop();
    },
    restart: async () => {
      await setup.restart();
      stopped = false;
    },
    pause: () => setup.pause(),
    resume: () => setup.resume(),
    close: async () => {
      setup.resume();
      if (stopped) await setup.restart();
      stopped = false;
    },
  };
}

/** Stops the shared topology of TEST_REDIS_TOPOLOGY, if one was started. */
export async function stopSharedTopology(): Promise<void> {
  await (await shared)?.close();
}
