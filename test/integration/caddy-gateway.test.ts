import { decodeJwt } from 'jose';
import t from 'tap';
import { buildResourceService } from '../../examples/resource-service/app.js';
import { form } from '../helpers/app.js';
import { startCaddy } from '../helpers/caddy.js';
import { GATEWAY_CLIENTS, REPORTING_SECRET, SECRETS } from '../helpers/clients.js';
import { eventually, listenOn, listenTestApp } from '../helpers/listen.js';
import { registerAndLogin, serviceToken } from '../helpers/oauth.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { parseResources } from '../../src/resources/protected-resource.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('real Caddy (forward_auth to /forward-auth, examples/caddy) in front of the example resource service', async (t) => {
  const listen = await freePort();
  // The API behind the gateway as a protected resource (RFC 9728): its metadata comes from tokensmith through the gateway.
  const resources = parseResources([{ resource: `http://127.0.0.1:${listen}/api`, name: 'Orders', scopes: ['orders:read', 'orders:write'] }]);
  const auth = await listenTestApp(t, { store: 'redis', redis, clients: GATEWAY_CLIENTS, config: { resources } });
  const api = await listenOn(t, await buildResourceService({ issuer: auth.base, audience: 'api' }));
  const caddy = await startCaddy(t, { listen, auth: auth.base.slice('http://'.length), api: api.slice('http://'.length) });
  const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${caddy}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const login = await registerAndLogin(auth.app, 'caddy-user');

  const metadata = await get('/.well-known/oauth-protected-resource/api');
  t.equal(metadata.status, 200, 'the metadata path reaches tokensmith');
  t.match(await metadata.json(), { resource: `http://127.0.0.1:${listen}/api`, authorization_servers: [auth.base], resource_name: 'Orders' });
  t.equal((await get('/.well-known/oauth-protected-resource/other')).status, 404);

  const anonymous = await get('/api/orders');
  t.equal(anonymous.status, 401, 'no token: 401');
  t.match(anonymous.headers.get('www-authenticate'), /^Bearer realm="tokensmith"/, 'the challenge reaches the client');

  const allowed = await get('/api/orders', login.access_token, { 'x-auth-subject': 'admin', 'x-auth-session': 'forged' });
  t.equal(allowed.status, 200, 'valid token: 200');
  t.match(
    await allowed.json(),
    { subject: decodeJwt(login.access_token!).sub, gateway_subject: decodeJwt(login.access_token!).sub, gateway_session: decodeJwt(login.access_token!).sid },
    "the caller tokensmith vouched for, never the client's own X-Auth-* headers",
  );

  const reporting = await serviceToken(auth.app, 'reporting', REPORTING_SECRET);
  const forged = await get('/api/orders', reporting, { 'x-auth-session': 'a-session-of-someone-else' });
  t.equal(forged.status, 200, 'a service token for this API');
  t.match(
    await forged.json(),
    { gateway_subject: 'reporting', gateway_session: '' },
    'X-Auth-Session is the empty one tokensmith answered, not the forged one',
  );

  const otherAudience = await get('/api/orders', await serviceToken(auth.app, 'orders-svc', SECRETS.orders));
  t.equal(otherAudience.status, 401, 'a valid token for another API (aud=orders-api): 401');
  t.match(otherAudience.headers.get('www-authenticate'), /error="invalid_token"/);

  t.equal((await get('/api/admin/orders', login.access_token)).status, 403, 'insufficient scope: 403');

  let connections = 0;
  auth.app.server.on('connection', () => (connections += 1));
  for (let i = 0; i < 20; i += 1) t.equal((await get('/api/orders', login.access_token)).status, 200);
  t.ok(connections <= 2, `20 checks opened ${connections} connection(s) to the auth service: Caddy keeps them alive`);

  await auth.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: login.access_token!, client_id: 'web' }) });
  t.ok(await eventually(async () => (await get('/api/orders', login.access_token)).status === 401, 1000), 'revoked token: 401 within a second');

  await auth.app.close();
  const outage = await get('/api/orders', reporting);
  t.equal(outage.status, 503, 'the auth service stopped: 503, not 502');
  t.equal(outage.headers.get('retry-after'), '5');
  t.match(outage.headers.get('content-type'), /^application\/json/);
  t.same(await outage.json(), { error: 'temporarily_unavailable', error_description: 'the auth service is unavailable; retry later' });
});
