import { decodeJwt, SignJWT } from 'jose';
import t from 'tap';
import { createLogger } from '../../src/logger.js';
import { connectRedis } from '../../src/store/redis/connection.js';
import { buildTestApp, form, type StoreKind } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually } from '../helpers/listen.js';
import { registerAndLogin, serviceToken } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`/forward-auth (${kind} store)`, async (t) => {
    const { app, keyring, config } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS });
    const check = (
      accessToken: string | undefined,
      url = '/forward-auth',
      extra: Record<string, string> = {},
      method: 'GET' | 'POST' | 'HEAD' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH' = 'GET',
    ) => app.inject({ method, url, headers: { ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), ...extra } });

    t.test('a valid token: 200 with the caller in X-Auth-* headers', async (t) => {
      const login = await registerAndLogin(app, 'fa-a');
      const claims = decodeJwt(login.access_token!);
      const response = await check(login.access_token);
      t.equal(response.statusCode, 200);
      t.equal(response.body, '');
      t.equal(response.headers['x-auth-subject'], claims.sub);
      t.equal(response.headers['x-auth-client-id'], 'web');
      t.equal(response.headers['x-auth-scope'], 'profile orders:read');
      t.equal(response.headers['x-auth-session'], claims.sid);
      t.equal(response.headers['cache-control'], 'no-store');
    });

    t.test('any method, any trailing path (Envoy), any body', async (t) => {
      const login = await registerAndLogin(app, 'fa-b');
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
        t.equal((await check(login.access_token, '/forward-auth/api/orders/42', {}, method)).statusCode, 200, method);
      }
      const withBody = await app.inject({
        method: 'POST',
        url: '/forward-auth/upload',
        headers: { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from([1, 2, 3]),
      });
      t.equal(withBody.statusCode, 200);
      const badJson = await app.inject({
        method: 'POST',
        url: '/forward-auth',
        headers: { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/json' },
        payload: '{not json',
      });
      t.equal(badJson.statusCode, 200, 'a forwarded body is never parsed');
    });

    t.test('a service token: every identity header, X-Auth-Session empty (a gateway copying them overwrites a forged one)', async (t) => {
      const token = await serviceToken(app);
      const response = await check(token, '/forward-auth?aud=orders-api', { 'x-auth-session': 'forged' });
      t.equal(response.statusCode, 200);
      t.equal(response.headers['x-auth-subject'], 'orders-svc');
      t.equal(response.headers['x-auth-client-id'], 'orders-svc');
      t.equal(response.headers['x-auth-scope'], 'orders:read orders:write');
      t.equal(response.headers['x-auth-session'], '', 'present, and empty');
    });

    t.test('audience: ?aud=, its older name ?audience=, or X-Required-Audience; another audience is 401 invalid_token (RFC 6750 §3.1)', async (t) => {
      const user = await registerAndLogin(app, 'fa-aud');
      const service = await serviceToken(app);
      t.equal((await check(user.access_token, `/forward-auth?aud=${config.defaultAudience}`)).statusCode, 200, "the user token's audience");
      t.equal((await check(service, '/forward-auth?aud=audit-api')).statusCode, 200, 'one of the service token audiences');
      for (const [token, url, headers] of [
        [user.access_token!, '/forward-auth?aud=orders-api', {}],
        [service, `/forward-auth?aud=${config.defaultAudience}`, {}],
        [service, `/forward-auth?audience=${config.defaultAudience}`, {}],
        [service, '/forward-auth/api/orders', { 'x-required-audience': config.defaultAudience }],
      ] as Array<[string, string, Record<string, string>]>) {
        const refused = await check(token, url, headers);
        t.equal(refused.statusCode, 401, `${url} ${JSON.stringify(headers)}`);
        t.equal(refused.headers['www-authenticate'], 'Bearer realm="tokensmith", error="invalid_token"');
        t.equal(refused.headers['x-auth-subject'], undefined, 'no identity on a refusal');
      }
      t.equal((await check(service, '/forward-auth?aud=orders-api&audience=orders-api')).statusCode, 400, 'both names at once');
    });

    t.test('no token: 401 with a bare Bearer challenge; a token in the query string is never accepted', async (t) => {
      const login = await registerAndLogin(app, 'fa-q');
      for (const response of [await check(undefined), await app.inject({ url: `/forward-auth/api?access_token=${login.access_token}` })]) {
        t.equal(response.statusCode, 401);
        t.equal(response.headers['www-authenticate'], 'Bearer realm="tokensmith"');
        t.equal(response.headers['x-auth-subject'], undefined);
      }
      const inQuery = await app.inject({ url: `/forward-auth?access_token=${login.access_token}` });
      t.equal(inQuery.statusCode, 400, 'on /forward-auth it is an unknown parameter');
      t.equal(inQuery.headers['x-auth-subject'], undefined);
      const basic = await check(undefined, '/forward-auth', { authorization: 'Basic dXNlcjpwYXNz' });
      t.equal(basic.statusCode, 401, 'another scheme is no token');
    });

    t.test('invalid, tampered or expired-looking tokens: 401 invalid_token', async (t) => {
      const login = await registerAndLogin(app, 'fa-c');
      const tampered = `${login.access_token!.slice(0, -3)}AAA`;
      for (const token of ['garbage', tampered, login.refresh_token!]) {
        const response = await check(token);
        t.equal(response.statusCode, 401);
        t.match(response.headers['www-authenticate'], /error="invalid_token"/);
      }
      const lowercase = await check(undefined, '/forward-auth', { authorization: `bearer ${login.access_token}` });
      t.equal(lowercase.statusCode, 200, 'the scheme is case-insensitive');
    });

    t.test('required scopes: ?scope=a+b and X-Required-Scope; missing ones are 403 insufficient_scope', async (t) => {
      const login = await registerAndLogin(app, 'fa-d');
      t.equal((await check(login.access_token, '/forward-auth?scope=profile+orders:read')).statusCode, 200);
      t.equal((await check(login.access_token, '/forward-auth', { 'x-required-scope': 'orders:read' })).statusCode, 200);
      const lacking = await check(login.access_token, '/forward-auth?scope=orders:write');
      t.equal(lacking.statusCode, 403);
      t.equal(lacking.headers['www-authenticate'], 'Bearer realm="tokensmith", error="insufficient_scope", scope="orders:write"');
      t.equal(lacking.json().error, 'insufficient_scope');
      t.equal((await check(login.access_token, '/forward-auth?scope=profile', { 'x-required-scope': 'admin' })).statusCode, 403, 'both sources count');
      t.equal((await check(login.access_token, '/forward-auth?aud=billing-api&scope=profile')).statusCode, 401, 'an audience the token lacks: invalid here');
      t.equal(
        (await check(login.access_token, `/forward-auth?aud=${config.defaultAudience}&scope=orders:write`)).statusCode,
        403,
        'its audience, not its scope',
      );
    });

    t.test('claims that would put CR/LF into a header are refused', async (t) => {
      const evil = await new SignJWT({ client_id: 'web', scope: 'profile' })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: keyring.signingKey()!.kid })
        .setIssuer(config.issuer)
        .setSubject('user\r\nX-Admin: yes')
        .setAudience('api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('evil-jti')
        .sign(keyring.signingKey()!.privateKey);
      const response = await check(evil);
      t.equal(response.statusCode, 401);
      t.equal(response.headers['x-admin'], undefined);
    });

    t.test('revoked tokens (jti) and ended sessions (sid) are refused within a second', async (t) => {
      const a = await registerAndLogin(app, 'fa-e');
      const b = await registerAndLogin(app, 'fa-f');
      t.equal((await check(a.access_token)).statusCode, 200);
      await app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: a.access_token!, client_id: 'web' }) });
      await app.inject({ method: 'POST', url: '/account/logout', headers: { authorization: `Bearer ${b.access_token}` } });
      t.ok(await eventually(async () => (await check(a.access_token)).statusCode === 401, 1000), 'revoked jti: 401 within a second');
      t.ok(await eventually(async () => (await check(b.access_token)).statusCode === 401, 1000), 'ended session: 401 within a second');
    });
  });
}

t.test('with a live revocation feed, forward-auth makes no Redis round trip per request', async (t) => {
  const { app, store } = await buildTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS });
  const login = await registerAndLogin(app, 'fa-hot');
  const probe = await connectRedis(redis.url, createLogger('silent'));
  t.teardown(() => probe.close());
  const calls = async () => {
    const info = await probe.info('commandstats');
    return Number(/cmdstat_exists:calls=(\d+)/.exec(info)?.[1] ?? 0) + Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
  };
  t.equal(store.kind, 'redis');
  const before = await calls();
  for (let i = 0; i < 20; i++)
    t.equal((await app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${login.access_token}` } })).statusCode, 200);
  t.equal(await calls(), before, 'no EXISTS or script call for 20 checks');
});

t.test('Redis down: forward-auth fails closed (503, never 200) by default, or accepts with REVOCATION_UNAVAILABLE=accept', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.close());
  const closed = await buildTestApp(t, { store: 'redis', redis: own, clients: SERVICE_CLIENTS });
  const open = await buildTestApp(t, { store: 'redis', redis: own, clients: SERVICE_CLIENTS, config: { revocationUnavailable: 'accept' } });
  const login = await registerAndLogin(closed.app, 'fa-down');
  const check = (app: typeof closed.app) => app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${login.access_token}` } });
  t.equal((await check(closed.app)).statusCode, 200);
  await own.stop();
  t.ok(await eventually(async () => (await check(closed.app)).statusCode !== 200, 3000), 'stops answering 200 once the feed is down');
  const refused = await check(closed.app);
  t.equal(refused.statusCode, 503);
  t.equal(refused.headers['retry-after'], '5');
  t.ok(await eventually(async () => (await check(open.app)).statusCode === 200, 3000), 'accept mode: the token is accepted');
  await own.restart();
  t.ok(await eventually(async () => (await check(closed.app)).statusCode === 200, 10_000), 'back to 200 once Redis returns, without a restart');
});
