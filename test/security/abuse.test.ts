/** Brute force and flooding: rate limits (ASVS 2.2.1, RFC 6749 §10.10, RFC 9700 §4.16 spirit), bounded hashing. */
import t from 'tap';
import { buildTestApp, form, GENEROUS_LIMITS, testClock } from '../helpers/app.js';
import { passwordLogin, registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('password guessing from one IP is limited per IP: 429 with Retry-After and an RFC 6749-shaped body (ASVS 2.2.1)', async (t) => {
  const { app } = await buildTestApp(t, { store: 'redis', redis, config: { rateLimits: { ...GENEROUS_LIMITS, loginPerIp: 3 } } });
  for (let i = 0; i < 3; i++) t.equal((await passwordLogin(app, `user${i}`, 'guess-guess')).statusCode, 400);
  const limited = await passwordLogin(app, 'user9', 'guess-guess');
  t.equal(limited.statusCode, 429);
  t.same(limited.json(), { error: 'too_many_requests', error_description: 'too many requests; retry later' });
  t.match(limited.headers['retry-after'], /^\d+$/);
  t.ok(Number(limited.headers['retry-after']) <= 60);
  t.equal(limited.headers['cache-control'], 'no-store');
  t.equal((await passwordLogin(app, 'user9', 'guess-guess', '127.0.0.2')).statusCode, 400, 'another IP has its own bucket');
});

t.test('per-username limit: case and Unicode variants share one bucket, across IPs', async (t) => {
  const { app } = await buildTestApp(t, { store: 'redis', redis, config: { rateLimits: { ...GENEROUS_LIMITS, loginPerUser: 3 } } });
  const variants = ['alice', 'ALICE', 'ａｌｉｃｅ'];
  for (const [i, name] of variants.entries()) t.equal((await passwordLogin(app, name, 'guess-guess', `10.0.0.${i + 1}`)).statusCode, 400, name);
  t.equal((await passwordLogin(app, 'Alice', 'guess-guess', '10.0.0.9')).statusCode, 429);
});

t.test('failed logins per account slow down progressively, cap at the hourly maximum, and are cleared by a success', async (t) => {
  const clock = testClock();
  const { app } = await buildTestApp(t, { clock, config: { rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 3, loginFailuresPerHour: 6 } } });
  await registerAndLogin(app, 'target', 'web', 'the right one');
  for (let i = 0; i < 3; i++) t.equal((await passwordLogin(app, 'target', 'wrong guess')).statusCode, 400, `free failure ${i + 1}`);
  const slowed = await passwordLogin(app, 'target', 'the right one');
  t.equal(slowed.statusCode, 429, 'even the right password waits its turn: no oracle while throttled');
  t.equal(slowed.headers['retry-after'], '2');
  t.equal((await passwordLogin(app, 'target', 'wrong guess')).statusCode, 429, 'hammering is refused and not counted');
  clock.advance(2);
  t.equal((await passwordLogin(app, 'target', 'wrong guess')).statusCode, 400, 'after the spacing, one more attempt');
  t.equal((await passwordLogin(app, 'target', 'wrong guess')).headers['retry-after'], '4', 'the spacing doubles');
  clock.advance(4);
  t.equal((await passwordLogin(app, 'target', 'the right one')).statusCode, 200, 'the owner gets in after the spacing; no lock');
  for (let i = 0; i < 6; i++) {
    await passwordLogin(app, 'target', 'wrong guess');
    clock.advance(61);
  }
  const capped = await passwordLogin(app, 'target', 'the right one');
  t.equal(capped.statusCode, 429, 'at most 6 failures an hour here (100 by default)');
  t.ok(Number(capped.headers['retry-after']) > 60, `until the hour is over (${capped.headers['retry-after']} s)`);
  clock.advance(3600);
  t.equal((await passwordLogin(app, 'target', 'the right one')).statusCode, 200);
});

t.test('X-Forwarded-For from an untrusted peer does not change the bucket; from a trusted proxy it does (TRUST_PROXY)', async (t) => {
  const limits = { ...GENEROUS_LIMITS, loginPerIp: 2 };
  const direct = await buildTestApp(t, { store: 'redis', redis, config: { rateLimits: limits } });
  for (let i = 0; i < 2; i++) await passwordLogin(direct.app, 'x', 'guess-guess', '198.51.100.7', { 'x-forwarded-for': `203.0.113.${i}` });
  t.equal(
    (await passwordLogin(direct.app, 'x', 'guess-guess', '198.51.100.7', { 'x-forwarded-for': '203.0.113.99' })).statusCode,
    429,
    'rotating X-Forwarded-For does not help',
  );
  const proxied = await buildTestApp(t, { store: 'redis', redis, config: { rateLimits: limits, trustProxy: ['198.51.100.7'] } });
  for (let i = 0; i < 2; i++) await passwordLogin(proxied.app, 'y', 'guess-guess', '198.51.100.7', { 'x-forwarded-for': '203.0.113.1' });
  t.equal(
    (await passwordLogin(proxied.app, 'y', 'guess-guess', '198.51.100.7', { 'x-forwarded-for': '203.0.113.1' })).statusCode,
    429,
    'the client behind the trusted proxy is limited',
  );
  t.equal(
    (await passwordLogin(proxied.app, 'y2', 'guess-guess', '198.51.100.7', { 'x-forwarded-for': '203.0.113.2' })).statusCode,
    400,
    'another client behind the same proxy is not',
  );
});

t.test('limits hold across instances sharing Redis', async (t) => {
  const prefix = redis.prefix();
  const shared = { ...redis, prefix: () => prefix };
  const limits = { ...GENEROUS_LIMITS, loginPerIp: 2 };
  const a = await buildTestApp(t, { store: 'redis', redis: shared, config: { rateLimits: limits } });
  const b = await buildTestApp(t, { store: 'redis', redis: shared, config: { rateLimits: limits } });
  await passwordLogin(a.app, 'z', 'guess-guess', '192.0.2.5');
  await passwordLogin(b.app, 'z', 'guess-guess', '192.0.2.5');
  t.equal((await passwordLogin(a.app, 'z', 'guess-guess', '192.0.2.5')).statusCode, 429);
});

t.test('registration is limited per IP and per username', async (t) => {
  const { app } = await buildTestApp(t, { config: { rateLimits: { ...GENEROUS_LIMITS, registerPerIp: 2, registerPerUser: 1 } } });
  const register = (username: string, remoteAddress: string) =>
    app.inject({ method: 'POST', url: '/account/register', remoteAddress, payload: { username, password: 'long enough' } });
  t.equal((await register('reg-a', '192.0.2.1')).statusCode, 201);
  t.equal((await register('REG-A', '192.0.2.2')).statusCode, 429, 'the same normalized username again');
  t.equal((await register('reg-b', '192.0.2.1')).statusCode, 201);
  t.equal((await register('reg-c', '192.0.2.1')).statusCode, 429, 'a third from one IP');
});

t.test('refresh, revoke and introspect have their own, looser limits', async (t) => {
  const { app } = await buildTestApp(t, { config: { rateLimits: { ...GENEROUS_LIMITS, tokenPerIp: 2, otherPerIp: 2 } } });
  const session = await registerAndLogin(app, 'loose');
  t.equal((await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: session.refresh_token!, client_id: 'web' })).status, 200);
  t.equal((await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43), client_id: 'web' })).status, 400);
  t.equal((await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43), client_id: 'web' })).status, 429);
  const revoke = () => app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: 'x', client_id: 'web' }) });
  t.equal((await revoke()).statusCode, 200);
  t.equal((await revoke()).statusCode, 200);
  t.equal((await revoke()).statusCode, 429);
});

t.test('limits fail closed: with Redis down, login and registration answer 503 and issue nothing', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.close());
  const { app } = await buildTestApp(t, { store: 'redis', redis: own });
  await own.stop();
  const response = await passwordLogin(app, 'anyone', 'whatever pw');
  t.equal(response.statusCode, 503);
  t.equal(response.headers['retry-after'], '5');
  t.equal(response.json().access_token, undefined);
  t.equal((await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'late', password: 'long enough' } })).statusCode, 503);
});

t.test('RATE_LIMIT=off turns every limit off (for benchmarks)', async (t) => {
  const { app } = await buildTestApp(t, { config: { rateLimits: { ...GENEROUS_LIMITS, enabled: false, loginPerIp: 1, loginFreeFailures: 100 } } });
  for (let i = 0; i < 5; i++) t.equal((await passwordLogin(app, 'nolimit', 'guess-guess')).statusCode, 400);
});

t.test('at most ARGON2_MAX_CONCURRENT hashes run at once; the overflow gets 503 with Retry-After, not exhausted memory', async (t) => {
  const { app } = await buildTestApp(t, {
    config: { argon2: { memoryCost: 65536, timeCost: 3, parallelism: 1 }, hashing: { maxConcurrent: 1, queueTimeoutMs: 20 } },
  });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'heavy', password: 'long enough' } });
  const results = await Promise.all(Array.from({ length: 6 }, () => passwordLogin(app, 'heavy', 'long enough')));
  const statuses = results.map((r) => r.statusCode);
  t.ok(statuses.includes(503), `some requests were turned away (${statuses.join(',')})`);
  t.ok(statuses.includes(200), 'and some served');
  t.ok(
    statuses.every((status) => status === 200 || status === 503),
    'nothing else',
  );
  const busy = results.find((r) => r.statusCode === 503)!;
  t.equal(busy.headers['retry-after'], '1');
  t.equal(busy.json().error, 'temporarily_unavailable');
});
