import t from 'tap';
import { createClient } from 'redis';
import { createLogger } from '../../src/logger.js';
import { connectRedis, storeConnection } from '../../src/store/redis/connection.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { STORE_SCRIPTS } from '../../src/store/redis/scripts.js';
import { eventually } from '../helpers/listen.js';
import { startRedis } from '../helpers/redis-server.js';
import { storeContract } from './contract.js';

const redis = await startRedis();
t.teardown(() => redis.close());

/** Which arguments of each command the store's scripts call are key names (the rest are values). */
const KEY_ARGUMENTS: Record<string, (args: string[]) => string[]> = {
  DEL: (args) => args,
  EXISTS: (args) => args,
  TIME: () => [],
  PUBLISH: () => [],
  // A shard channel counts as a key for slot routing; the script gives it as an argument, beside the log it shares a slot with.
  SPUBLISH: () => [],
  ...Object.fromEntries(
    [
      'GET',
      'SET',
      'INCR',
      'PTTL',
      'TTL',
      'EXPIRE',
      'PEXPIRE',
      'HGET',
      'HSET',
      'HMGET',
      'HGETALL',
      'HINCRBY',
      'HEXISTS',
      'HDEL',
      'SADD',
      'SREM',
      'SMEMBERS',
      'HKEYS',
      'TYPE',
      'ZADD',
      'ZREMRANGEBYSCORE',
      'ZRANGEBYSCORE',
      'ZREMRANGEBYRANK',
      'SCARD',
      'ZREM',
    ].map((command) => [command, (args: string[]) => args.slice(0, 1)]),
  ),
};

/** The quoted arguments of a MONITOR line, left escaped: declared and touched keys are compared in the same form. */
function monitorArguments(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!);
}

interface ScriptRun {
  sha: string;
  declared: Set<string>;
  touched: Array<{ command: string; keys: string[] }>;
}

/** Groups MONITOR lines into script runs: a script's own commands follow its EVALSHA/EVAL line, and nothing interleaves with them. */
function scriptRuns(lines: string[]): ScriptRun[] {
  const runs: ScriptRun[] = [];
  let current: ScriptRun | undefined;
  for (const line of lines) {
    const args = monitorArguments(line);
    const command = (args[0] ?? '').toUpperCase();
    if (line.includes(' lua] ')) {
      if (!current) throw new Error(`a script command without its script: ${line}`);
      const keysOf = KEY_ARGUMENTS[command];
      if (!keysOf) throw new Error(`this test does not know which arguments of ${command} are keys: add it to KEY_ARGUMENTS`);
      current.touched.push({ command, keys: keysOf(args.slice(1)) });
      continue;
    }
    current = undefined;
    if (command === 'EVALSHA' || command === 'EVAL') {
      const count = Number(args[2]);
      current = { sha: command === 'EVALSHA' ? args[1]! : '', declared: new Set(args.slice(3, 3 + count)), touched: [] };
      runs.push(current);
    }
  }
  return runs;
}

t.test('every key a Lua script touches is one the store passed to it (what Redis Cluster routes by)', async (t) => {
  const monitor = createClient({ url: redis.url });
  await monitor.connect();
  t.teardown(() => monitor.close());
  const lines: string[] = [];
  await monitor.monitor((line: string) => lines.push(line));

  await t.test('the store contract, watched', async (t) => {
    storeContract(
      t,
      async () => new RedisStore(storeConnection(await connectRedis(redis.url, createLogger('silent'))), redis.prefix(), createLogger('silent')),
    );
  });
  await t.test('a stale address claim (a change that stopped half way) is taken over; a live one is not', async (t) => {
    const prefix = redis.prefix();
    const store = new RedisStore(storeConnection(await connectRedis(redis.url, createLogger('silent'))), prefix, createLogger('silent'));
    t.teardown(() => store.close());
    const raw = createClient({ url: redis.url });
    await raw.connect();
    t.teardown(() => raw.close());
    const address = 'stale@example.com';
    const user = (id: string, email?: string) => ({
      id,
      username: id,
      usernameKey: id,
      passwordHash: 'h',
      createdAt: 1,
      disabled: false,
      ...(email === undefined ? {} : { email: { address: email, key: email, verified: false } }),
    });
    await store.users.create(user('holder', 'other@example.com'));
    await raw.set(`${prefix}email:${address}`, 'holder');
    t.equal(await store.users.create(user('claimant', address)), 'created', 'the holder no longer has the address: the claim was stale');
    t.equal((await store.users.findByEmailKey(address))?.id, 'claimant');
    t.equal(await store.users.create(user('late', address)), 'email_taken', 'a live claim holds');
  });
  const marker = `end-of-contract-${Date.now()}`;
  const probe = createClient({ url: redis.url });
  await probe.connect();
  t.teardown(() => probe.close());
  await probe.echo(marker);
  t.ok(await eventually(() => lines.some((line) => line.includes(marker))), 'the monitor has seen every command');

  const runs = scriptRuns(lines);
  const undeclared = runs.flatMap((run) =>
    run.touched.flatMap((call) => call.keys.filter((key) => !run.declared.has(key)).map((key) => `${call.command} ${key}`)),
  );
  t.same(undeclared, [], 'no script touched a key it was not given');
  const seen = new Set(runs.map((run) => run.sha));
  const unexercised = Object.entries(STORE_SCRIPTS)
    .filter(([, script]) => !seen.has(script.SHA1))
    .map(([name]) => name);
  t.same(unexercised, [], 'the contract ran every script, so the check above covers them all');
});
