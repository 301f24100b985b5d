import { decodeJwt } from 'jose';
import t from 'tap';
import { issueAccessToken } from '../../src/tokens/access-token.js';
import { MAX_CLOCK_TOLERANCE } from '@tokensmith/verifier/shared';
import { buildTestApp, type StoreKind } from '../helpers/app.js';
import { refresh, registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`account routes (${kind} store)`, async (t) => {
    const { app, store, config, keyring, clock } = await buildTestApp(t, { store: kind, redis });
    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, accessToken?: string, payload?: object) =>
      app.inject({
        method,
        url,
        headers: accessToken ? { authorization: `Bearer ${accessToken}`, 'user-agent': 'account-test' } : {},
        ...(payload ? { payload } : {}),
      });

    t.test("GET /account/me: the caller's profile", async (t) => {
      const login = await registerAndLogin(app, 'Mona');
      const me = await call('GET', '/account/me', login.access_token);
      t.equal(me.statusCode, 200);
      t.equal(me.headers['cache-control'], 'no-store');
      t.same(Object.keys(me.json()).sort(), ['created_at', 'id', 'username']);
      t.match(me.json(), { id: decodeJwt(login.access_token!).sub, username: 'Mona' });
    });

    t.test('bearer errors follow RFC 6750 §3', async (t) => {
      const missing = await call('GET', '/account/me');
      t.equal(missing.statusCode, 401);
      t.equal(missing.headers['www-authenticate'], 'Bearer realm="tokensmith"', 'no error attribute when no token was sent');
      t.equal(missing.json().error, 'invalid_token');
      const garbage = await call('GET', '/account/me', 'not-a-jwt');
      t.equal(garbage.statusCode, 401);
      t.match(garbage.headers['www-authenticate'], /^Bearer realm="tokensmith", error="invalid_token"/);
      const malformed = await app.inject({ url: '/account/me', headers: { authorization: 'Bearer two words' } });
      t.equal(malformed.statusCode, 400);
      t.match(malformed.headers['www-authenticate'], /error="invalid_request"/);
      const login = await registerAndLogin(app, 'nora');
      const lowercase = await app.inject({ url: '/account/me', headers: { authorization: `bearer ${login.access_token}` } });
      t.equal(lowercase.statusCode, 200, 'the scheme is case-insensitive');
      const inQuery = await app.inject({ url: `/account/me?access_token=${login.access_token}` });
      t.equal(inQuery.statusCode, 401, 'a token in the query string is never read');
      const serviceToken = await issueAccessToken(
        { keyring, issuer: config.issuer, ttl: 60, clock },
        { subject: 'svc', clientId: 'svc', audience: 'api', scope: '' },
      );
      t.equal((await call('GET', '/account/me', serviceToken.token)).statusCode, 401, 'a token without a session (client_credentials) has no account');
    });

    t.test("GET /account/sessions lists the caller's sessions, marks the current one, and never shows a token", async (t) => {
      const first = await registerAndLogin(app, 'olive');
      clock.advance(1);
      const second = await registerAndLogin(app, 'olive');
      await registerAndLogin(app, 'someone-else');
      const response = await call('GET', '/account/sessions', second.access_token);
      t.equal(response.statusCode, 200);
      const { sessions } = response.json() as { sessions: Array<Record<string, unknown>> };
      t.equal(sessions.length, 2);
      t.same(
        sessions.map((s) => s.sid),
        [decodeJwt(first.access_token!).sid, decodeJwt(second.access_token!).sid],
      );
      t.same(
        sessions.map((s) => s.current),
        [false, true],
      );
      t.same(Object.keys(sessions[0]!).sort(), ['client_id', 'created_at', 'current', 'expires_at', 'ip', 'last_used_at', 'sid', 'user_agent']);
      t.equal(sessions[0]!.client_id, 'web');
      for (const secret of [first.refresh_token, first.access_token, second.refresh_token]) t.notOk(response.body.includes(secret!));
    });

    t.test("DELETE /account/sessions/:sid ends one of the caller's sessions; another user's is 404", async (t) => {
      const first = await registerAndLogin(app, 'pia');
      const second = await registerAndLogin(app, 'pia');
      const stranger = await registerAndLogin(app, 'quinn');
      const strangerSid = decodeJwt(stranger.access_token!).sid as string;
      const refused = await call('DELETE', `/account/sessions/${strangerSid}`, first.access_token);
      t.equal(refused.statusCode, 404);
      t.equal(refused.json().error, 'not_found');
      t.equal((await refresh(app, stranger.refresh_token!)).status, 200, "the stranger's session is untouched");
      t.equal((await call('DELETE', '/account/sessions/no-such-sid', first.access_token)).statusCode, 404);
      const ended = await call('DELETE', `/account/sessions/${decodeJwt(second.access_token!).sid}`, first.access_token);
      t.equal(ended.statusCode, 204);
      t.equal((await refresh(app, second.refresh_token!)).status, 400, 'its refresh token is dead');
      t.equal((await call('GET', '/account/me', second.access_token)).statusCode, 401, 'its access token is refused here');
      t.equal((await call('GET', '/account/me', first.access_token)).statusCode, 200);
    });

    t.test('POST /account/logout ends the current session only', async (t) => {
      const here = await registerAndLogin(app, 'rosa');
      const there = await registerAndLogin(app, 'rosa');
      const response = await call('POST', '/account/logout', here.access_token);
      t.equal(response.statusCode, 204);
      t.equal(response.headers['set-cookie'], undefined, 'no cookie to clear for a body client');
      t.equal((await call('GET', '/account/me', here.access_token)).statusCode, 401);
      t.equal((await refresh(app, here.refresh_token!)).status, 400);
      t.equal((await call('GET', '/account/me', there.access_token)).statusCode, 200, 'the other session lives');
    });

    t.test('POST /account/logout-all ends every session', async (t) => {
      const a = await registerAndLogin(app, 'sara');
      const b = await registerAndLogin(app, 'sara');
      const response = await call('POST', '/account/logout-all', a.access_token);
      t.same(response.json(), { ended: 2 });
      for (const login of [a, b]) {
        t.equal((await call('GET', '/account/me', login.access_token)).statusCode, 401);
        t.equal((await refresh(app, login.refresh_token!)).status, 400);
      }
    });

    t.test('POST /account/password changes the password and ends every other session', async (t) => {
      const current = await registerAndLogin(app, 'tina', 'web', 'old password');
      const other = await registerAndLogin(app, 'tina', 'web', 'old password');
      const wrong = await call('POST', '/account/password', current.access_token, { current_password: 'not it at all', new_password: 'new password' });
      t.equal(wrong.statusCode, 400);
      t.same(wrong.json(), { error: 'invalid_grant', error_description: 'the current password is wrong' });
      const weak = await call('POST', '/account/password', current.access_token, { current_password: 'old password', new_password: 'short' });
      t.equal(weak.statusCode, 400);
      t.equal(weak.json().error, 'invalid_request');
      t.equal((await call('GET', '/account/me', other.access_token)).statusCode, 200, 'refused changes end nothing');
      const changed = await call('POST', '/account/password', current.access_token, { current_password: 'old password', new_password: 'new password' });
      t.equal(changed.statusCode, 204);
      t.equal((await call('GET', '/account/me', other.access_token)).statusCode, 401, 'the other session ended');
      t.equal((await refresh(app, other.refresh_token!)).status, 400);
      t.equal((await call('GET', '/account/me', current.access_token)).statusCode, 200, 'the current session lives');
      t.equal((await refresh(app, current.refresh_token!)).status, 200);
      const oldLogin = await tokenRequest(app, { grant_type: 'password', username: 'tina', password: 'old password', client_id: 'web' });
      t.equal(oldLogin.status, 400);
      const newLogin = await tokenRequest(app, { grant_type: 'password', username: 'tina', password: 'new password', client_id: 'web' });
      t.equal(newLogin.status, 200);
    });

    t.test("a disabled user's access tokens are refused by the account routes", async (t) => {
      const login = await registerAndLogin(app, 'uma');
      await store.users.setDisabled(decodeJwt(login.access_token!).sub!, true);
      t.equal((await call('GET', '/account/me', login.access_token)).statusCode, 401);
    });
  });
}

t.test("an ended session's sid stays on the revoked list for one access-token lifetime and the longest clock tolerance", async (t) => {
  const { app, store, clock } = await buildTestApp(t, { config: { accessTokenTtl: 60 } });
  const login = await registerAndLogin(app, 'vic');
  const sid = decodeJwt(login.access_token!).sid as string;
  await app.inject({ method: 'POST', url: '/account/logout', headers: { authorization: `Bearer ${login.access_token}` } });
  t.equal(await store.revocations.isRevoked({ jti: 'none', sid: sid }), true);
  clock.advance(60 + MAX_CLOCK_TOLERANCE - 1);
  t.equal(await store.revocations.isRevoked({ jti: 'none', sid: sid }), true, 'while any verifier may still accept a token of the session');
  clock.advance(1);
  t.equal(await store.revocations.isRevoked({ jti: 'none', sid: sid }), false, 'by then every access token of the session has expired, leeway included');
});
