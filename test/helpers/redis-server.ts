import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

/** A Redis server for one test file: its URL, a fresh key prefix per call, and control over its life. */
export interface TestRedis {
  url: string;
  /** A key prefix no other test uses, so tests never see each other's keys. */
  prefix(): string;
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
  const external = process.env.REDIS_URL;
  if (external) {
    await waitForPing(external, 5000);
    const refuse = async () => {
      throw new Error('cannot stop the Redis named by REDIS_URL; fault tests need a private redis-server');
    };
    const refuseNow = () => {
      throw new Error('cannot pause the Redis named by REDIS_URL; fault tests need a private redis-server');
    };
    return { url: external, prefix: unique, stop: refuse, restart: refuse, pause: refuseNow, resume: refuseNow, close: async () => {} };
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
    prefix: unique,
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
