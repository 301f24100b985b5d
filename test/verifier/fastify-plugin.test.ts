import t from 'tap';
import { buildResourceService } from '../../examples/resource-service/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { registerAndLogin, tokenRequest } from '../helpers/oauth.js';

t.test('the Fastify plugin sets request.auth and answers RFC 6750 errors; requireScope answers 403', async (t) => {
  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const api = await buildResourceService({ issuer: auth.base, audience: 'orders-api' });
  t.teardown(() => api.close());
  const call = (method: 'GET' | 'POST', token?: string) =>
    api.inject({ method, url: '/api/orders', headers: token ? { authorization: `Bearer ${token}` } : {} });

  t.equal((await api.inject({ url: '/health' })).statusCode, 200, 'routes outside the plugin scope are public');
  const missing = await call('GET');
  t.equal(missing.statusCode, 401);
  t.equal(missing.headers['www-authenticate'], 'Bearer realm="orders"');
  t.same(missing.json(), { error: 'invalid_token', error_description: 'a bearer access token is required' });

  const userToken = (await registerAndLogin(auth.app, 'plugin-user')).access_token!;
  const wrongAudience = await call('GET', userToken);
  t.equal(wrongAudience.statusCode, 401, 'a token for another audience');
  t.match(wrongAudience.headers['www-authenticate'], /error="invalid_token"/);

  const serviceToken = (
    await tokenRequest(
      auth.app,
      { grant_type: 'client_credentials', scope: 'orders:read', audience: 'orders-api' },
      { authorization: basicAuth('orders-svc', SECRETS.orders) },
    )
  ).body.access_token!;
  const read = await call('GET', serviceToken);
  t.equal(read.statusCode, 200);
  t.match(read.json(), { subject: 'orders-svc', client_id: 'orders-svc', scope: ['orders:read'] });
  const cannotWrite = await call('POST', serviceToken);
  t.equal(cannotWrite.statusCode, 403);
  t.equal(cannotWrite.headers['www-authenticate'], 'Bearer realm="orders", error="insufficient_scope", scope="orders:write"');
  t.equal(cannotWrite.json().error, 'insufficient_scope');

  const writer = (
    await tokenRequest(auth.app, { grant_type: 'client_credentials', audience: 'orders-api' }, { authorization: basicAuth('orders-svc', SECRETS.orders) })
  ).body.access_token!;
  const created = await call('POST', writer);
  t.equal(created.statusCode, 201);
  t.same(created.json(), { created_by: 'orders-svc' });
});
