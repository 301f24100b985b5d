import { decodeJwt, decodeProtectedHeader } from 'jose';
import t from 'tap';
import { buildTestApp, type StoreKind } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { startRedis } from '../helpers/redis-server.js';
import { tokenRequest } from '../helpers/oauth.js';

const redis = await startRedis();
t.teardown(() => redis.close());

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`client_credentials grant (${kind} store)`, async (t) => {
    const { app, config } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS });
    const basic = { authorization: basicAuth('orders-svc', SECRETS.orders) };
    const grant = (params: Record<string, string> = {}, headers: Record<string, string> = basic) =>
      tokenRequest(app, { grant_type: 'client_credentials', ...params }, headers);

    t.test('client_secret_basic: a token for the service itself, all its scopes and audiences, no refresh token', async (t) => {
      const response = await grant();
      t.equal(response.status, 200);
      t.equal(response.headers['cache-control'], 'no-store');
      t.same(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
      t.equal(response.body.scope, 'orders:read orders:write');
      t.same(decodeProtectedHeader(response.body.access_token!), { alg: 'RS256', typ: 'at+jwt', kid: decodeProtectedHeader(response.body.access_token!).kid });
      const claims = decodeJwt(response.body.access_token!);
      t.match(claims, { iss: config.issuer, sub: 'orders-svc', client_id: 'orders-svc', aud: ['orders-api', 'audit-api'], scope: 'orders:read orders:write' });
      t.equal(claims.sid, undefined, 'no session');
    });

    t.test('client_secret_post works too', async (t) => {
      const response = await grant({ client_id: 'orders-svc', client_secret: SECRETS.orders }, {});
      t.equal(response.status, 200);
    });

    t.test('a requested scope subset, audience or resource narrows the token', async (t) => {
      const narrowed = await grant({ scope: 'orders:read', audience: 'audit-api' });
      t.equal(narrowed.body.scope, 'orders:read');
      t.equal(decodeJwt(narrowed.body.access_token!).aud, 'audit-api');
      const viaResource = await grant({ resource: 'orders-api' });
      t.equal(decodeJwt(viaResource.body.access_token!).aud, 'orders-api', 'RFC 8707 resource');
      const foreign = await grant({ audience: 'payments-api' });
      t.equal(foreign.status, 400);
      t.equal(foreign.body.error, 'invalid_target');
      const conflicting = await grant({ audience: 'orders-api', resource: 'audit-api' });
      t.equal(conflicting.body.error, 'invalid_request');
      const wide = await grant({ scope: 'orders:admin' });
      t.equal(wide.body.error, 'invalid_scope');
    });

    t.test('wrong secret and unknown client: the same 401 invalid_client, with a Basic challenge', async (t) => {
      const wrong = await grant({}, { authorization: basicAuth('orders-svc', 'nope') });
      const unknown = await grant({}, { authorization: basicAuth('ghost-svc', SECRETS.orders) });
      for (const response of [wrong, unknown]) {
        t.equal(response.status, 401);
        t.same(response.body, { error: 'invalid_client', error_description: 'client authentication failed' });
        t.match(response.headers['www-authenticate'], /^Basic realm=/);
      }
      const wrongPost = await grant({ client_id: 'orders-svc', client_secret: 'nope' }, {});
      t.equal(wrongPost.status, 401);
      t.equal(wrongPost.headers['www-authenticate'], undefined, 'no Basic challenge when Basic was not used');
    });

    t.test('Basic and client_secret_post at once is invalid_request', async (t) => {
      const both = await grant({ client_secret: SECRETS.orders });
      t.equal(both.status, 400);
      t.equal(both.body.error, 'invalid_request');
    });

    t.test('clients without the grant: unauthorized_client; a public client cannot use it', async (t) => {
      const confidential = await grant({}, { authorization: basicAuth('billing-svc', SECRETS.billing) });
      t.equal(confidential.status, 400);
      t.equal(confidential.body.error, 'unauthorized_client');
      const publicClient = await grant({ client_id: 'web' }, {});
      t.equal(publicClient.status, 400);
      t.equal(publicClient.body.error, 'unauthorized_client');
    });
  });
}
