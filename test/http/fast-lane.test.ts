import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import t, { type Test } from 'tap';
import { FastLane } from '../../src/http/fast-lane.js';
import { ResponseFinish } from '../../src/http/response-finish.js';
import { createLogger } from '../../src/logger.js';
import type { TestAppOptions } from '../helpers/app.js';
import { listenTestApp, type ListeningApp } from '../helpers/listen.js';
import { registerAndLogin } from '../helpers/oauth.js';

// The fast lane (src/http/fast-lane.ts) answers the JWKS and remembered forward-auth checks before Fastify does. It
// must be invisible: each of its answers is compared here with the route's own answer to the same request, over
// real sockets (app.inject never reaches the lane), and everything it does not handle must reach the routes.

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${base}${path}`, { headers });
  const all = Object.fromEntries(response.headers);
  delete all.date;
  return { status: response.status, headers: all, body: await response.text() };
}

/** The answer to a request, and whether the lane gave it. */
async function answered(app: ListeningApp, path: string, headers: Record<string, string> = {}): Promise<Answer & { byLane: boolean }> {
  const before = app.app.fastLane!.answered;
  const answer = await get(app.base, path, headers);
  return { ...answer, byLane: app.app.fastLane!.answered === before + 1 };
}

/** A listening app with HSTS and metrics on (both add to every answer or record it), and a user's access token. */
async function laneApp(t: Test, config: TestAppOptions['config'] = {}) {
  const listening = await listenTestApp(t, { config: { hstsMaxAge: 3600, metrics: { port: 0, host: '127.0.0.1' }, ...config } });
  const { access_token: token } = await registerAndLogin(listening.app, 'lane');
  return { ...listening, token: token!, bearer: { authorization: `Bearer ${token}` } };
}

t.test("the lane's answers are exactly the routes' answers: status, every header but Date, body", async (t) => {
  const app = await laneApp(t);
  const viaRoute = await answered(app, '/.well-known/jwks.json', { 'if-none-match': '"another"' });
  const viaLane = await answered(app, '/.well-known/jwks.json');
  t.notOk(viaRoute.byLane, 'a conditional GET of the JWKS is the route’s');
  t.ok(viaLane.byLane, 'a plain GET of the JWKS is the lane’s');
  t.same(viaLane, { ...viaRoute, byLane: true }, 'the JWKS: same answer');
  t.equal(viaLane.headers['strict-transport-security'], 'max-age=3600; includeSubDomains');

  for (const path of ['/forward-auth', '/forward-auth?aud=api', '/forward-auth?scope=profile+profile&aud=api', '/forward-auth/orders/42']) {
    const app = await laneApp(t);
    const first = await answered(app, path, app.bearer);
    const second = await answered(app, path, app.bearer);
    t.notOk(first.byLane, `${path}: a token not verified before is the route's`);
    t.ok(second.byLane, `${path}: the same token again is the lane's`);
    t.same(second, { ...first, byLane: true }, `${path}: same answer`);
    t.equal(second.status, 200);
    t.equal(second.headers['x-auth-client-id'], 'web');
    t.equal(second.headers['cache-control'], 'no-store');
  }
});

t.test('the lane logs and measures its answers as the routes do', async (t) => {
  const app = await laneApp(t);
  await answered(app, '/forward-auth', app.bearer);
  t.ok((await answered(app, '/forward-auth', app.bearer)).byLane);
  t.ok((await answered(app, '/.well-known/jwks.json')).byLane);
  const lines = app.logs.records().filter((record) => record.msg === 'request' && record.method === 'GET');
  const forwardAuth = lines.filter((line) => line.path === '/forward-auth');
  t.equal(forwardAuth.length, 2, 'one line per check, the route’s and the lane’s');
  t.same(
    Object.keys(forwardAuth[1]!).filter((key) => key !== 'time'),
    Object.keys(forwardAuth[0]!).filter((key) => key !== 'time'),
    'the same fields',
  );
  t.match(forwardAuth[1], { status: 200, ip: '127.0.0.1', reqId: /^req-/ });
  t.not(forwardAuth[1]!.reqId, forwardAuth[0]!.reqId, 'request ids from one sequence');
  t.ok(
    lines.some((line) => line.path === '/.well-known/jwks.json'),
    'the JWKS answer is logged',
  );
  const scrape = await app.app.metrics!.registry.metrics();
  t.match(scrape, /^http_request_duration_seconds_count\{method="GET",route="\/forward-auth",status_code="200"\} 2$/m, 'both checks measured');
  t.match(scrape, /^http_request_duration_seconds_count\{method="GET",route="\/.well-known\/jwks.json",status_code="200"\} 1$/m);
});

t.test('whatever the lane does not answer exactly reaches the routes', async (t) => {
  const app = await laneApp(t, { allowedOrigins: ['https://app.example'] });
  await answered(app, '/forward-auth', app.bearer);
  const cases: [string, string, Record<string, string>, number][] = [
    ['another audience (RFC 6750 §3.1)', '/forward-auth?aud=orders-api', app.bearer, 401],
    ['a scope the token lacks', '/forward-auth?scope=admin', app.bearer, 403],
    ['an unknown requirement', '/forward-auth?scop=profile', app.bearer, 400],
    ['both names of the audience', '/forward-auth?aud=api&audience=api', app.bearer, 400],
    ['a percent-encoded query', '/forward-auth?aud=%61pi', app.bearer, 200],
    ['a repeated requirement', '/forward-auth?aud=api&aud=api', app.bearer, 400],
    ['an original path Fastify cannot decode', '/forward-auth/orders/%zz', app.bearer, 400],
    ['an original path Fastify decodes', '/forward-auth/orders/%34%32', app.bearer, 200],
    ['a lower-case scheme', '/forward-auth', { authorization: `bearer ${app.token}` }, 200],
    ['no token', '/forward-auth', {}, 401],
    ['a required scope in a header', '/forward-auth', { ...app.bearer, 'x-required-scope': 'admin' }, 403],
  ];
  for (const [what, path, headers, status] of cases) {
    const answer = await answered(app, path, headers);
    t.equal(answer.status, status, `${what}: ${status}`);
    t.notOk(answer.byLane, `${what}: the route's answer`);
  }
  const refused = await answered(app, '/forward-auth?aud=orders-api', app.bearer);
  t.match(refused.headers['www-authenticate'], /error="invalid_token"/);

  const cors = await answered(app, '/.well-known/jwks.json', { origin: 'https://app.example' });
  t.notOk(cors.byLane, 'an Origin under CORS is the route’s');
  t.equal(cors.headers['access-control-allow-origin'], 'https://app.example');

  const head = await fetch(`${app.base}/forward-auth`, { method: 'HEAD', headers: app.bearer });
  t.equal(head.status, 200, 'HEAD is the route’s');

  const logout = await app.app.inject({ method: 'POST', url: '/account/logout', headers: app.bearer });
  t.equal(logout.statusCode, 204);
  const revoked = await answered(app, '/forward-auth', app.bearer);
  t.equal(revoked.status, 401, 'a remembered token whose session has ended is refused');
  t.notOk(revoked.byLane, 'by the route');
});

t.test('the lane stands aside for a request with a body, another method or path, and once the app is closing', async (t) => {
  const lane = new FastLane();
  let closing = false;
  lane.add({ route: '/x', matches: (path) => path === '/x', answer: () => ({ status: 200, headers: { 'x-by': 'lane' }, body: 'lane' }) });
  lane.configure({
    logger: createLogger('silent'),
    finish: new ResponseFinish({ logger: createLogger('silent'), metrics: undefined, hstsMaxAge: 0 }),
    cors: false,
    closing: () => closing,
    clientAddress: () => undefined,
  });
  const serverOptions = { keepAliveTimeout: 4321, requestTimeout: 0, connectionTimeout: 0 };
  const server = lane.serverFactory((_request, response) => response.end('app'), serverOptions as never) as Server;
  t.equal(server.keepAliveTimeout, 4321, 'the timeouts Fastify would set');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const text = async (path: string, init: RequestInit = {}) => (await fetch(`${base}${path}`, init)).text();
  t.equal(await text('/x'), 'lane');
  t.equal(await text('/x?any=thing'), 'lane', 'the route reads the query');
  t.equal(await text('/y'), 'app');
  t.equal(await text('/x', { method: 'POST', body: 'a body' }), 'app');
  t.equal(await text('/x', { method: 'DELETE' }), 'app');
  closing = true;
  t.equal(await text('/x'), 'app', 'closing: the app answers, with Connection: close');
  t.equal(lane.answered, 2);
});
