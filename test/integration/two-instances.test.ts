import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import t from 'tap';
import { buildTestApp, form, GENEROUS_LIMITS, keysDirWithKey, realClock } from '../helpers/app.js';
import { basicAuth } from '../helpers/clients.js';
import { eventually } from '../helpers/listen.js';
import { refresh, registerAndLogin } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const GATEWAY_SECRET = 'gateway-secret-of-the-test';
const CLIENTS = [
  { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' },
  {
    client_id: 'gateway',
    type: 'confidential',
    client_secret_hash: `sha256:${createHash('sha256').update(GATEWAY_SECRET).digest('hex')}`,
    grant_types: ['client_credentials'],
    scope: 'introspect',
  },
];

t.test('two instances on one Redis behave as one service', async (t) => {
  const clock = realClock();
  const shared = { prefix: redis.prefix(), keysDir: (await keysDirWithKey(t, clock)).dir };
  const options = {
    store: 'redis' as const,
    redis,
    clients: CLIENTS,
    clock,
    shared,
    config: { refreshReuseGrace: 0, rateLimits: { ...GENEROUS_LIMITS, registerPerIp: 3 } },
  };
  const a = (await buildTestApp(t, options)).app;
  const b = (await buildTestApp(t, options)).app;

  const login = await registerAndLogin(a, 'ann');
  const onB = await refresh(b, login.refresh_token!);
  t.equal(onB.status, 200, 'a login on A refreshes on B');
  clock.advance(1);
  const reused = await refresh(a, login.refresh_token!);
  t.equal(reused.status, 400, 'the spent token back on A is reuse');
  t.equal((await refresh(b, onB.body.refresh_token!)).status, 400, 'and B refuses the session from then on');

  const second = await registerAndLogin(b, 'ben');
  t.equal((await a.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: second.access_token!, client_id: 'web' }) })).statusCode, 200);
  const introspect = () =>
    b.inject({
      method: 'POST',
      url: '/oauth/introspect',
      payload: form({ token: second.access_token! }).payload,
      headers: { ...form({}).headers, authorization: basicAuth('gateway', GATEWAY_SECRET) },
    });
  t.ok(await eventually(async () => (await introspect()).json().active === false, 1000), 'revoked on A: inactive on B within a second');
  const forward = await b.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${second.access_token}` } });
  t.equal(forward.statusCode, 401, 'and forward-auth on B refuses it');
  t.equal(decodeJwt(second.access_token!).iss, decodeJwt(login.access_token!).iss);

  // ann and ben took two of the three registrations this address may make; the buckets are shared.
  t.equal((await a.inject({ method: 'POST', url: '/account/register', payload: { username: 'cy1', password: 'long enough' } })).statusCode, 201);
  t.equal(
    (await b.inject({ method: 'POST', url: '/account/register', payload: { username: 'cy2', password: 'long enough' } })).statusCode,
    429,
    'the rate-limit bucket is shared',
  );
});
