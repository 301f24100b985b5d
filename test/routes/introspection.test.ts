import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import t from 'tap';
import { buildTestApp, form, type StoreKind } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { refresh, registerAndLogin, serviceToken } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const gateway = { authorization: basicAuth('gateway', SECRETS.gateway) };

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`POST /oauth/introspect (${kind} store)`, async (t) => {
    const { app, config, clock, keyring } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS });
    const introspect = (token: string, headers: Record<string, string> = gateway, extra: Record<string, string> = {}) => {
      const request = form({ token, ...extra });
      return app.inject({ method: 'POST', url: '/oauth/introspect', payload: request.payload, headers: { ...request.headers, ...headers } });
    };

    t.test('an active user access token: every RFC 7662 member', async (t) => {
      const login = await registerAndLogin(app, 'intro-a');
      const claims = decodeJwt(login.access_token!);
      const response = await introspect(login.access_token!);
      t.equal(response.statusCode, 200);
      t.equal(response.headers['cache-control'], 'no-store');
      t.same(response.json(), {
        active: true,
        token_type: 'Bearer',
        sub: claims.sub,
        client_id: 'web',
        scope: 'profile orders:read',
        aud: config.defaultAudience,
        iss: config.issuer,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        sid: claims.sid,
      });
    });

    t.test('a service token: no sid, audience array', async (t) => {
      const token = await serviceToken(app);
      const body = (await introspect(token, gateway, { token_type_hint: 'access_token' })).json();
      t.match(body, { active: true, sub: 'orders-svc', client_id: 'orders-svc', aud: ['orders-api', 'audit-api'] });
      t.equal(body.sid, undefined);
    });

    t.test('a refresh token is active while its session lives and it is the current one', async (t) => {
      const login = await registerAndLogin(app, 'intro-b');
      const active = (await introspect(login.refresh_token!)).json();
      t.match(active, {
        active: true,
        token_type: 'refresh_token',
        client_id: 'web',
        sub: decodeJwt(login.access_token!).sub,
        sid: decodeJwt(login.access_token!).sid,
      });
      const next = await refresh(app, login.refresh_token!);
      t.same((await introspect(login.refresh_token!)).json(), { active: false }, 'a spent token is inactive');
      t.equal((await introspect(next.body.refresh_token!)).json().active, true);
    });

    t.test('inactive is exactly {"active": false}: expired, revoked jti, ended session, foreign, malformed, unknown', async (t) => {
      const login = await registerAndLogin(app, 'intro-c');
      const revokedJti = await registerAndLogin(app, 'intro-d');
      await app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: revokedJti.access_token!, client_id: 'web' }) });
      const ended = await registerAndLogin(app, 'intro-e');
      await app.inject({ method: 'POST', url: '/account/logout', headers: { authorization: `Bearer ${ended.access_token}` } });
      const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const foreign = await new SignJWT({ client_id: 'web', scope: 'profile' })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: keyring.signingKey()!.kid })
        .setIssuer(config.issuer)
        .setSubject('x')
        .setAudience('api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('j')
        .sign(foreignKey);
      const otherIssuer = await new SignJWT({ client_id: 'web', scope: 'profile' })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: keyring.signingKey()!.kid })
        .setIssuer('https://other.example')
        .setSubject('x')
        .setAudience('api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('j')
        .sign(keyring.signingKey()!.privateKey);
      const cases: Array<[string, string]> = [
        ['revoked jti', revokedJti.access_token!],
        ['ended session', ended.access_token!],
        ['foreign signature', foreign],
        ['other issuer', otherIssuer],
        ['malformed', 'eyJ.not.jwt'],
        ['random string', 'hello'],
        ['unknown refresh token', 'B'.repeat(43)],
        ['ended session refresh token', ended.refresh_token!],
      ];
      for (const [name, token] of cases) t.same((await introspect(token)).json(), { active: false }, name);
      t.equal((await introspect(login.access_token!)).json().active, true, 'a live token stays active');
      if (kind === 'memory') {
        clock.advance(config.accessTokenTtl + 6);
        t.same((await introspect(login.access_token!)).json(), { active: false }, 'expired (beyond the leeway)');
      }
    });

    t.test('only authenticated confidential clients with the introspect scope may call it', async (t) => {
      const login = await registerAndLogin(app, 'intro-f');
      const publicClient = await introspect(login.access_token!, {}, { client_id: 'web' });
      t.equal(publicClient.statusCode, 401);
      t.equal(publicClient.json().error, 'invalid_client');
      const anonymous = await introspect(login.access_token!, {});
      t.equal(anonymous.statusCode, 401);
      const wrongSecret = await introspect(login.access_token!, { authorization: basicAuth('gateway', 'wrong') });
      t.equal(wrongSecret.statusCode, 401);
      t.match(wrongSecret.headers['www-authenticate'], /^Basic/);
      const noScope = await introspect(login.access_token!, { authorization: basicAuth('orders-svc', SECRETS.orders) });
      t.equal(noScope.statusCode, 403);
      t.equal(noScope.json().error, 'insufficient_scope');
      const viaPost = await introspect(login.access_token!, {}, { client_id: 'gateway', client_secret: SECRETS.gateway });
      t.equal(viaPost.json().active, true, 'client_secret_post works too');
      const missing = await app.inject({ method: 'POST', url: '/oauth/introspect', ...form({}), headers: { ...form({}).headers, ...gateway } });
      t.equal(missing.statusCode, 400);
      t.equal(missing.json().error, 'invalid_request');
    });
  });
}

t.test('a token revoked on one instance is inactive on another that shares the Redis', async (t) => {
  const prefix = redis.prefix();
  const shared = { ...redis, prefix: () => prefix };
  const a = await buildTestApp(t, { store: 'redis', redis: shared, clients: SERVICE_CLIENTS });
  const b = await buildTestApp(t, { store: 'redis', redis: shared, clients: SERVICE_CLIENTS });
  const onB = (token: string) => b.app.inject({ method: 'POST', url: '/oauth/introspect', ...form({ token }), headers: { ...form({}).headers, ...gateway } });
  const login = await registerAndLogin(a.app, 'multi');
  const second = await registerAndLogin(a.app, 'multi');
  t.equal((await onB(login.access_token!)).json().active, true, "B sees A's tokens");
  await a.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: login.access_token!, client_id: 'web' }) });
  t.same((await onB(login.access_token!)).json(), { active: false }, 'revoked on A, inactive on B');
  await a.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: second.refresh_token!, client_id: 'web' }) });
  t.same((await onB(second.access_token!)).json(), { active: false }, 'a session ended on A: its access token is inactive on B');
  t.equal((await b.app.inject({ url: '/account/me', headers: { authorization: `Bearer ${second.access_token}` } })).statusCode, 401);
});
