import { decodeJwt } from 'jose';
import t from 'tap';
import { buildResourceService } from '../../examples/resource-service/app.js';
import { form } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually, listenOn, listenTestApp } from '../helpers/listen.js';
import { startNginx } from '../helpers/nginx.js';
import { registerAndLogin } from '../helpers/oauth.js';
import { freePort, startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('real nginx (auth_request to /forward-auth) in front of the example resource service', async (t) => {
  const auth = await listenTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS });
  const api = await listenOn(t, await buildResourceService({ issuer: auth.base, audience: 'api' }));
  const nginx = await startNginx(t, { listen: await freePort(), auth: auth.base.slice('http://'.length), api: api.slice('http://'.length) });
  const get = (path: string, token?: string) => fetch(`${nginx}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const login = await registerAndLogin(auth.app, 'gateway-user');

  const anonymous = await get('/api/orders');
  t.equal(anonymous.status, 401, 'no token: 401');
  t.match(anonymous.headers.get('www-authenticate'), /^Bearer realm="tokensmith"/, 'the challenge reaches the client');

  const allowed = await get('/api/orders', login.access_token);
  t.equal(allowed.status, 200, 'valid token: 200');
  const body = (await allowed.json()) as Record<string, unknown>;
  t.equal(body.gateway_subject, decodeJwt(login.access_token!).sub, 'X-Auth-Subject passed upstream by nginx');
  t.equal(body.subject, decodeJwt(login.access_token!).sub, 'and the service verified the token itself');

  const forged = await fetch(`${nginx}/api/orders`, { headers: { authorization: `Bearer ${login.access_token}`, 'x-auth-subject': 'admin' } });
  t.equal(((await forged.json()) as Record<string, unknown>).gateway_subject, decodeJwt(login.access_token!).sub, 'a client-sent X-Auth-Subject is replaced');

  const admin = await get('/api/admin/orders', login.access_token);
  t.equal(admin.status, 403, 'insufficient scope: 403');

  await auth.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: login.access_token!, client_id: 'web' }) });
  const revokedAt = Date.now();
  t.ok(await eventually(async () => (await get('/api/orders', login.access_token)).status === 401, 1000), 'revoked token: 401 within a second');
  t.comment(`refused by nginx after ${Date.now() - revokedAt} ms`);
});
