/** Hostile input, response headers and infrastructure faults. */
import t from 'tap';
import { createLogger } from '../../src/logger.js';
import { connectRedis, storeConnection } from '../../src/store/redis/connection.js';
import { warnOnEviction } from '../../src/store/open.js';
import { buildTestApp, form, LogCapture } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually } from '../helpers/listen.js';
import { registerAndLogin } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('every response carries nosniff, no-referrer, a restrictive CSP and no framework banner (OWASP secure headers)', async (t) => {
  const { app } = await buildTestApp(t, { clients: SERVICE_CLIENTS });
  const session = await registerAndLogin(app, 'headers');
  const responses = [
    await app.inject({ url: '/healthz' }),
    await app.inject({ url: '/.well-known/jwks.json' }),
    await app.inject({ url: '/.well-known/oauth-authorization-server' }),
    await app.inject({ url: '/nope' }),
    await app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'password' }) }),
    await app.inject({ url: '/account/me', headers: { authorization: `Bearer ${session.access_token}` } }),
    await app.inject({ url: '/forward-auth' }),
  ];
  for (const response of responses) {
    t.equal(response.headers['x-content-type-options'], 'nosniff');
    t.equal(response.headers['referrer-policy'], 'no-referrer');
    t.match(response.headers['content-security-policy'], /default-src 'none'; frame-ancestors 'none'/);
    t.equal(response.headers['x-frame-options'], 'DENY');
    t.equal(response.headers['x-powered-by'], undefined);
    t.equal(response.headers.server, undefined);
    t.equal(response.headers['strict-transport-security'], undefined, 'no HSTS over plain http');
  }
});

t.test('Strict-Transport-Security when serving behind TLS (an https ISSUER, or HSTS_MAX_AGE)', async (t) => {
  const { app } = await buildTestApp(t, { config: { hstsMaxAge: 31536000 } });
  t.equal((await app.inject({ url: '/healthz' })).headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
});

t.test('no-store on every token, introspection, revocation and account response, errors included (RFC 6749 §5.1)', async (t) => {
  const { app } = await buildTestApp(t, { clients: SERVICE_CLIENTS });
  const responses = [
    await app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'nope', client_id: 'web' }) }),
    await app.inject({ method: 'POST', url: '/oauth/introspect', ...form({ token: 'x' }) }),
    await app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ client_id: 'web' }) }),
    await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'x' } }),
    await app.inject({ url: '/account/sessions' }),
  ];
  for (const response of responses) {
    t.ok(response.statusCode >= 400);
    t.equal(response.headers['cache-control'], 'no-store');
    t.equal(response.headers.pragma, 'no-cache');
  }
});

t.test('unused methods answer 404, never 500', async (t) => {
  const { app } = await buildTestApp(t);
  for (const [method, url] of [
    ['PUT', '/oauth/token'],
    ['DELETE', '/.well-known/jwks.json'],
    ['PATCH', '/account/me'],
    ['GET', '/oauth/token'],
    ['TRACE', '/healthz'],
  ] as const) {
    const response = await app.inject({ method, url });
    t.equal(response.statusCode, 404, `${method} ${url}`);
    t.equal(response.json().error, 'not_found');
  }
});

t.test('prototype-pollution keys (__proto__, constructor) are refused in forms and JSON, and pollute nothing', async (t) => {
  const { app } = await buildTestApp(t);
  const bodies = [
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&username=a&password=b&client_id=web&__proto__[admin]=1' },
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&username=a&password=b&client_id=web&constructor=x' },
    { headers: { 'content-type': 'application/json' }, payload: '{"grant_type":"password","client_id":"web","__proto__":{"admin":true}}' },
    { headers: { 'content-type': 'application/json' }, payload: '{"grant_type":"password","client_id":"web","constructor":{"prototype":{"admin":true}}}' },
  ];
  for (const body of bodies) {
    const response = await app.inject({ method: 'POST', url: '/oauth/token', ...body });
    t.equal(response.statusCode, 400, body.payload.slice(-40));
    t.equal(response.json().error, 'invalid_request');
  }
  t.equal(({} as Record<string, unknown>).admin, undefined);
});

t.test('oversized bodies get 413 before parsing; over-long fields and wrong types get 400 without store work', async (t) => {
  const { app } = await buildTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS });
  const big = 'x'.repeat(17 * 1024);
  for (const url of ['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/account/register']) {
    const response = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${big}` });
    t.equal(response.statusCode, 413, url);
    t.equal(response.json().error, 'payload_too_large');
  }
  const probe = await connectRedis(redis.url, createLogger('silent'));
  t.teardown(() => probe.close());
  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await probe.info('stats'))?.[1]);
  const before = await commands();
  const cases: Array<Record<string, unknown>> = [
    { username: 'u'.repeat(255), password: 'long enough' },
    { username: 'valid-user', password: 'p'.repeat(1025) },
    { username: ['array'], password: 'long enough' },
    { username: 'valid-user', password: 12345678 },
  ];
  for (const payload of cases) t.equal((await app.inject({ method: 'POST', url: '/account/register', payload })).statusCode, 400);
  const scope = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'password', username: 'a', password: 'b', client_id: 'web', scope: 's'.repeat(1025) }),
  });
  t.equal(scope.statusCode, 400);
  t.equal((await commands()) - before, 1, "the only Redis command was this probe's own INFO");
});

/** How long Redis is paused: well beyond the 2 s command timeout, so an answer in it did not wait for Redis. */
const PAUSE_MS = 8000;

t.test('Redis slow (paused): requests answer 503 within REDIS_COMMAND_TIMEOUT, /readyz 503, /healthz and JWKS 200; then it recovers', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.close());
  const { app } = await buildTestApp(t, { store: 'redis', redis: own });
  await registerAndLogin(app, 'slow');
  const admin = await connectRedis(own.url, createLogger('silent'));
  t.teardown(() => admin.close());
  // Long enough that the answer and /readyz (which waits up to 1 s) both come during the pause, even on a machine
  // busy with the rest of the suite: what is checked is that nothing waits for Redis, not how fast the answer is.
  await admin.sendCommand(['CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL']);
  const started = Date.now();
  const response = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'password', username: 'slow', password: 'long enough', client_id: 'web' }),
  });
  const elapsed = Date.now() - started;
  t.equal(response.statusCode, 503);
  t.equal(response.headers['retry-after'], '5');
  t.ok(elapsed < PAUSE_MS, `answered while Redis was still paused (${elapsed} ms of a ${PAUSE_MS} ms pause; the command timeout is 2000 ms)`);
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 200);
  t.ok(await eventually(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, PAUSE_MS + 5000, 200), 'ready again after the pause');
  const again = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'password', username: 'slow', password: 'long enough', client_id: 'web' }),
  });
  t.equal(again.statusCode, 200);
});

t.test('a warning at start when Redis may evict keys (maxmemory-policy other than noeviction)', async (t) => {
  const evicting = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
  t.teardown(() => evicting.close());
  const logs = new LogCapture();
  const client = await connectRedis(evicting.url, createLogger('info', logs));
  t.teardown(() => client.close());
  await warnOnEviction(storeConnection(client), createLogger('info', logs));
  t.ok(logs.records().some((record) => record.level === 40 && record.policy === 'allkeys-lru'));
  const quiet = new LogCapture();
  const safe = await connectRedis(redis.url, createLogger('info', quiet));
  t.teardown(() => safe.close());
  await warnOnEviction(storeConnection(safe), createLogger('info', quiet));
  t.equal(quiet.records().filter((record) => record.level === 40).length, 0, 'noeviction: no warning');
});
