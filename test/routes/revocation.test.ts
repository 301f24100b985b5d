import { decodeJwt } from 'jose';
import t from 'tap';
import { MAX_CLOCK_TOLERANCE } from '@tokensmith/verifier/shared';
import { buildTestApp, form, type StoreKind } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { refresh, registerAndLogin, serviceToken } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`POST /oauth/revoke (${kind} store)`, async (t) => {
    const { app, store, clock } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS });
    const revoke = (params: Record<string, string>, headers: Record<string, string> = {}) => {
      const request = form(params);
      return app.inject({ method: 'POST', url: '/oauth/revoke', payload: request.payload, headers: { ...request.headers, ...headers } });
    };
    const me = (accessToken: string) => app.inject({ url: '/account/me', headers: { authorization: `Bearer ${accessToken}` } });

    t.test('a refresh token: its session ends, as in logout', async (t) => {
      const login = await registerAndLogin(app, 'rev-a');
      const response = await revoke({ token: login.refresh_token!, token_type_hint: 'refresh_token', client_id: 'web' });
      t.equal(response.statusCode, 200);
      t.equal(response.body, '');
      t.equal(response.headers['cache-control'], 'no-store');
      t.equal((await refresh(app, login.refresh_token!)).status, 400);
      t.equal((await me(login.access_token!)).statusCode, 401, "the session's access tokens are refused");
    });

    t.test('an access token: its jti goes on the denylist until the token expires', async (t) => {
      const login = await registerAndLogin(app, 'rev-b');
      const claims = decodeJwt(login.access_token!);
      const response = await revoke({ token: login.access_token!, client_id: 'web' }); // no hint: the form decides
      t.equal(response.statusCode, 200);
      t.equal(await store.revocations.isRevoked({ jti: claims.jti! }), true);
      t.equal((await me(login.access_token!)).statusCode, 401);
      t.equal((await refresh(app, login.refresh_token!)).status, 200, 'the session itself lives on');
      if (kind === 'memory') {
        clock.advance(claims.exp! - claims.iat! + MAX_CLOCK_TOLERANCE - 1);
        t.equal(await store.revocations.isRevoked({ jti: claims.jti! }), true, 'while a verifier may still accept the token within its clock tolerance');
        clock.advance(1);
        t.equal(await store.revocations.isRevoked({ jti: claims.jti! }), false, 'the entry expires once the token has, tolerance included');
      }
    });

    t.test('a confidential client revokes its own token with client_secret_basic', async (t) => {
      const token = await serviceToken(app);
      const response = await revoke({ token }, { authorization: basicAuth('orders-svc', SECRETS.orders) });
      t.equal(response.statusCode, 200);
      t.equal(await store.revocations.isRevoked({ jti: decodeJwt(token).jti! }), true);
    });

    t.test("a confidential client cannot revoke a public client's tokens: 200 and nothing changes", async (t) => {
      const login = await registerAndLogin(app, 'rev-c');
      const auth = { authorization: basicAuth('orders-svc', SECRETS.orders) };
      t.equal((await revoke({ token: login.access_token! }, auth)).statusCode, 200);
      t.equal((await revoke({ token: login.refresh_token! }, auth)).statusCode, 200);
      t.equal((await me(login.access_token!)).statusCode, 200, 'the access token still works');
      t.equal((await refresh(app, login.refresh_token!)).status, 200, 'the refresh token still works');
    });

    t.test("a public client cannot revoke a service's token", async (t) => {
      const token = await serviceToken(app);
      t.equal((await revoke({ token, client_id: 'web' })).statusCode, 200);
      t.equal(await store.revocations.isRevoked({ jti: decodeJwt(token).jti! }), false);
    });

    t.test('unknown, malformed, expired and already revoked tokens: 200, nothing changes (RFC 7009 §2.2)', async (t) => {
      for (const token of ['A'.repeat(43), 'not a token', 'a.b.c', 'x'.repeat(4096)]) {
        t.equal((await revoke({ token, client_id: 'web' })).statusCode, 200, token.slice(0, 12));
      }
      const login = await registerAndLogin(app, 'rev-d');
      t.equal((await revoke({ token: login.refresh_token!, client_id: 'web' })).statusCode, 200);
      t.equal((await revoke({ token: login.refresh_token!, client_id: 'web' })).statusCode, 200, 'twice');
    });

    t.test('a spent refresh token revokes nothing', async (t) => {
      const login = await registerAndLogin(app, 'rev-e');
      const next = await refresh(app, login.refresh_token!);
      t.equal((await revoke({ token: login.refresh_token!, client_id: 'web' })).statusCode, 200);
      t.equal((await refresh(app, next.body.refresh_token!)).status, 200, 'the current token is untouched');
    });

    t.test('errors: missing token, bad client authentication', async (t) => {
      const missing = await revoke({ client_id: 'web' });
      t.equal(missing.statusCode, 400);
      t.equal(missing.json().error, 'invalid_request');
      const unknown = await revoke({ token: 'x', client_id: 'ghost' });
      t.equal(unknown.statusCode, 401);
      const wrong = await revoke({ token: 'x' }, { authorization: basicAuth('orders-svc', 'wrong') });
      t.equal(wrong.statusCode, 401);
      t.match(wrong.headers['www-authenticate'], /^Basic/);
    });
  });
}

t.test('Redis unavailable: revocation answers 503 with Retry-After', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.close());
  const { app } = await buildTestApp(t, { store: 'redis', redis: own, clients: SERVICE_CLIENTS });
  const login = await registerAndLogin(app, 'rev-down');
  await own.stop();
  const response = await app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: login.refresh_token!, client_id: 'web' }) });
  t.equal(response.statusCode, 503);
  t.equal(response.headers['retry-after'], '5');
  t.equal(response.json().error, 'temporarily_unavailable');
});
