import t from 'tap';
import { tempDir } from './helpers/app.js';
import { eventually } from './helpers/listen.js';
import { freePort, startRedis } from './helpers/redis-server.js';
import { runBuilt } from './helpers/spawn.js';

// A service started before its Redis (a container ahead of its database, a Redis restarting) listens from the first
// moment: liveness answers, readiness says what it waits for, the log says it is waiting, and once Redis answers it
// serves. REDIS_CONNECT_TIMEOUT makes it give up instead, with one line naming the variable.

async function answer(url: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers } | undefined> {
  const response = await fetch(url).catch(() => undefined);
  if (response === undefined) return undefined;
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

const logLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; redis?: string });

t.test('a Redis that appears late: the port answers at once, /readyz says why it is not ready, then the service serves', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  await redis.stop();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const redisHost = new URL(redis.url).host;
  const run = runBuilt('dist/server.js', [], {
    PORT: String(port),
    HOST: '127.0.0.1',
    KEYS_DIR: await tempDir(t),
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix(),
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
  });
  t.teardown(() => run.child.kill('SIGKILL'));

  t.ok(await eventually(async () => (await answer(`${base}/healthz`))?.status === 200, 10_000, 50), 'liveness answers while Redis is away');
  const readiness = await answer(`${base}/readyz`);
  t.equal(readiness?.status, 503);
  t.same(readiness?.body, { status: 'unavailable', store: 'unavailable', reason: `waiting for Redis at ${redisHost}` });
  const token = await answer(`${base}/.well-known/jwks.json`);
  t.equal(token?.status, 503, 'every other request: 503');
  t.equal(token?.body.error, 'temporarily_unavailable');
  t.equal(token?.headers.get('retry-after'), '5');
  t.equal(token?.headers.get('x-content-type-options'), 'nosniff', 'with the security headers');

  t.ok(
    await eventually(() => logLines(run.stdout()).some((line) => line.msg === `waiting for Redis at ${redisHost}` && line.level === 40), 5000, 50),
    'a warning says what it waits for',
  );
  t.notMatch(run.stdout(), /redis:\/\//, 'never the URL');
  t.equal(run.child.exitCode, null, 'still running');

  await redis.restart();
  t.ok(await eventually(async () => (await answer(`${base}/readyz`))?.status === 200, 20_000, 100), 'ready once Redis answers');
  const registered = await fetch(`${base}/account/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'late-redis', password: 'long enough' }),
  });
  t.equal(registered.status, 201, 'and serves');
  t.equal((await answer(`${base}/.well-known/jwks.json`))?.status, 200);
});

t.test('a Redis that never answers, with REDIS_CONNECT_TIMEOUT: one line naming the variable and exit code 1', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  await redis.stop();
  const port = await freePort();
  const started = Date.now();
  const run = runBuilt('dist/server.js', [], {
    PORT: String(port),
    HOST: '127.0.0.1',
    KEYS_DIR: await tempDir(t),
    REDIS_URL: `redis://user:s3cret-password@${new URL(redis.url).host}`,
    REDIS_CONNECT_TIMEOUT: '2',
  });
  t.teardown(() => run.child.kill('SIGKILL'));
  t.ok(await eventually(async () => (await answer(`http://127.0.0.1:${port}/healthz`))?.status === 200, 10_000, 50), 'it listens while it waits');
  t.equal(await run.exited, 1);
  const waited = Date.now() - started;
  t.ok(waited >= 2000, `it waited the 2 s it was given (${waited} ms)`);
  t.equal(run.stderr(), `configuration error: REDIS_URL: cannot connect to Redis at ${new URL(redis.url).host} within REDIS_CONNECT_TIMEOUT (2 s)\n`);
  t.notMatch(run.stdout() + run.stderr(), /s3cret/, 'the password appears nowhere');
  t.equal(await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => 'refused'), 'refused', 'and the port is closed');
});
