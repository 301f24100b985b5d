import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ClientRegistry } from '../../src/clients/registry.js';
import { loadConfig, passkeyRelyingParty, type Config } from '../../src/config.js';
import { generateKeyFile } from '../../src/keys/key-file.js';
import { KeyRing } from '../../src/keys/keyring.js';
import { writeManifest } from '../../src/keys/manifest.js';
import { createLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { connectStore } from '../../src/store/redis/connection.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store } from '../../src/store/types.js';
import type { TestRedis } from './redis-server.js';

/** argon2id parameters cheap enough for tests; production refuses them. */
export const TEST_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** Something with a teardown, as tap's `t` is. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A controllable clock, in milliseconds. */
export interface TestClock {
  now: number;
  (): number;
  advance(seconds: number): void;
}

/** A clock starting at the real time that tests move by hand. */
export function testClock(start = Date.now()): TestClock {
  const clock = (() => clock.now) as TestClock;
  clock.now = start;
  clock.advance = (seconds: number) => {
    clock.now += seconds * 1000;
  };
  return clock;
}

/** A clock that follows real time (Redis's own clock does), shifted by what advance() adds. */
export function realClock(): TestClock {
  let shift = 0;
  const clock = (() => Date.now() + shift) as TestClock;
  Object.defineProperty(clock, 'now', { get: () => Date.now() + shift });
  clock.advance = (seconds: number) => {
    shift += seconds * 1000;
  };
  return clock;
}

/** A temporary folder removed at teardown. */
export async function tempDir(t: Teardown, name = 'tokensmith-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), name));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

let sharedKey: Promise<{ dir: string; file: string; kid: string }> | undefined;

/** One RSA key per test process, generated once and copied into each test's KEYS_DIR (generation is slow). */
export async function keysDirWithKey(t: Teardown, clock: () => number = Date.now): Promise<{ dir: string; kid: string }> {
  sharedKey ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokensmith-key-'));
    const key = await generateKeyFile(dir);
    process.once('exit', () => void rm(dir, { recursive: true, force: true }));
    return { dir, file: key.file, kid: key.kid };
  })();
  const key = await sharedKey;
  const dir = await tempDir(t);
  await copyFile(join(key.dir, key.file), join(dir, key.file));
  const now = Math.floor(clock() / 1000);
  await writeManifest(dir, { keys: { [key.kid]: { created_at: now - 3600, activate_at: now - 3600 } } });
  return { dir, kid: key.kid };
}

/** Limits high enough that tests which are not about limits never meet them (limits stay on, as in production). */
export const GENEROUS_LIMITS = {
  enabled: true,
  loginPerIp: 100_000,
  loginPerUser: 100_000,
  loginFailuresPerHour: 100,
  loginFreeFailures: 100,
  registerPerIp: 100_000,
  registerPerUser: 100_000,
  clientRegistrationPerIp: 100_000,
  userCodePerIp: 100_000,
  userCodePerAccount: 100_000,
  resetPerIp: 100_000,
  resetPerAccount: 100_000,
  tokenPerIp: 100_000,
  otherPerIp: 100_000,
  adminPerIp: 100_000,
  ipv6Prefix: 64,
};

/** The configuration tests run with: loopback issuer, cheap hashing, generous limits, no mail unless a test sends some, overrides on top. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const issuer = overrides.issuer ?? 'http://127.0.0.1:3000';
  return {
    ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', MAIL_TRANSPORT: 'off' }),
    issuer,
    // Passkeys belong to the issuer's host, as loadConfig derives them: off on 127.0.0.1, on for http://localhost.
    passkeys: passkeyRelyingParty({}, issuer),
    argon2: TEST_ARGON2,
    rateLimits: GENEROUS_LIMITS,
    ...overrides,
  };
}

/** Log lines captured from the app's logger. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  /** Every captured line, parsed. */
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/** Which store a test runs against. */
export type StoreKind = 'memory' | 'redis';

/** Opens a store of the given kind; Redis ones get a fresh key prefix unless given one (instances of one service share it). */
export async function openTestStore(kind: StoreKind, redis: TestRedis | undefined, clock: () => number, prefix?: string): Promise<Store> {
  if (kind === 'memory') return new MemoryStore(clock);
  if (!redis) throw new Error('a Redis test store needs startRedis()');
  // Writes wait for a replica where there is one (a cluster, sentinels), as REDIS_WAIT_REPLICAS defaults to.
  const durability = { replicas: redis.topology.kind === 'single' ? 0 : 1, timeoutMs: 500 };
  return new RedisStore(await connectStore(redis.topology, createLogger('silent')), prefix ?? redis.prefix(), createLogger('silent'), clock, 2000, durability);
}

/** Options of a test app. */
export interface TestAppOptions {
  store?: StoreKind;
  redis?: TestRedis;
  config?: Partial<Config>;
  /** CLIENTS_FILE entries; the default client `web` when absent. */
  clients?: unknown[];
  clock?: TestClock;
  /** A Redis key prefix and a KEYS_DIR to share with another app: two instances of one service. */
  shared?: { prefix: string; keysDir: string };
}

/** A built app with what a test needs to look inside. */
export interface TestApp {
  app: FastifyInstance;
  config: Config;
  keyring: KeyRing;
  store: Store;
  logs: LogCapture;
  clock: TestClock;
  keysDir: string;
}

/** Builds the app as server.ts does, against the chosen store, closed at teardown. */
export async function buildTestApp(t: Teardown, options: TestAppOptions = {}): Promise<TestApp> {
  const clock = options.clock ?? testClock();
  const config = testConfig(options.config);
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const dir = options.shared?.keysDir ?? (await keysDirWithKey(t, clock)).dir;
  const keyring = await KeyRing.open({ ...config, dir, production: false, logger, clock });
  const store = await openTestStore(options.store ?? 'memory', options.redis, clock, options.shared?.prefix);
  const clients = options.clients
    ? ClientRegistry.fromEntries(options.clients, config.defaultAudience)
    : ClientRegistry.load(undefined, config.defaultAudience);
  const app = await buildApp(config, { store, keyring, clients, logger, clock });
  t.teardown(() => app.close());
  return { app, config, keyring, store, logs, clock, keysDir: dir };
}

/** Form-encodes token request parameters. */
export function form(params: Record<string, string>): { payload: string; headers: Record<string, string> } {
  return { payload: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}
