/**
 * The account API is for the user's own first-party apps: a third-party client that the person allowed only `openid`
 * must not read their sessions (IP addresses, devices), end them, or change the password with its token; and the
 * profile needs the `profile` scope, as /userinfo does.
 */
import t from 'tap';
import { ClientRegistry } from '../../src/clients/registry.js';
import { buildTestApp, type StoreKind, type TestApp } from '../helpers/app.js';
import { passwordLogin, refresh, registerAndLogin } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { codeFlowTokens, CookieJar, REDIRECT, SIGN_IN_CLIENTS, signIn } from '../helpers/sign-in.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const KINDS: StoreKind[] = ['memory', 'redis'];
const PASSWORD = 'long enough';
const CLIENTS = [...SIGN_IN_CLIENTS, { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' }];

function call(app: TestApp['app'], token: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload }) });
}

for (const kind of KINDS) {
  t.test(`a third-party client's token runs none of the account API (${kind} store)`, async (t) => {
    const { app } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS });
    const own = await registerAndLogin(app, `aud-${kind}`, 'web', PASSWORD);
    const jar = new CookieJar();
    t.equal((await signIn(app, jar, '/login', `aud-${kind}`, PASSWORD)).statusCode, 303);
    const thirdParty = await codeFlowTokens(app, jar, 'wiki', 'https://wiki.example/oidc', 'openid');
    t.equal(thirdParty.status, 200, 'the person allowed wiki openid');
    const token = thirdParty.body.access_token!;
    const ownSid = (await call(app, own.access_token!, 'GET', '/account/sessions')).json().sessions[0].sid as string;

    const attempts = [
      await call(app, token, 'GET', '/account/me'),
      await call(app, token, 'GET', '/account/sessions'),
      await call(app, token, 'DELETE', `/account/sessions/${ownSid}`),
      await call(app, token, 'POST', '/account/logout-all'),
      await call(app, token, 'POST', '/account/password', { current_password: PASSWORD, new_password: 'taken over by wiki' }),
      await call(app, token, 'POST', '/account/logout'),
    ];
    for (const answer of attempts) {
      t.equal(answer.statusCode, 401, answer.body);
      t.equal(answer.json().error, 'invalid_token');
      t.match(answer.json().error_description, /first-party/);
      t.match(answer.headers['www-authenticate'], /error="invalid_token"/);
      t.notMatch(answer.body, new RegExp(`aud-${kind}|${ownSid}`), 'nothing of the account in the answer');
    }
    t.equal((await refresh(app, own.refresh_token!)).status, 200, 'the first-party session was not ended');
    t.equal((await passwordLogin(app, `aud-${kind}`, PASSWORD)).statusCode, 200, 'the password did not change');
    t.equal((await app.inject({ method: 'GET', url: '/account', headers: { cookie: jar.header() } })).statusCode, 200, 'the browser is still signed in');
    t.equal((await call(app, token, 'GET', '/userinfo')).statusCode, 200, 'the token still does what it was allowed: UserInfo');
  });

  t.test(`first-party tokens keep the account API, and the profile needs the profile scope (${kind} store)`, async (t) => {
    const { app } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS });
    const own = await registerAndLogin(app, `own-${kind}`, 'web', PASSWORD);
    t.equal((await call(app, own.access_token!, 'GET', '/account/me')).statusCode, 200, 'a password-grant client is first-party');
    const jar = new CookieJar();
    await signIn(app, jar, '/login', `own-${kind}`, PASSWORD);
    const openidOnly = await codeFlowTokens(app, jar, 'spa', REDIRECT, 'openid');
    const me = await call(app, openidOnly.body.access_token!, 'GET', '/account/me');
    t.equal(me.statusCode, 403, 'first_party: true, but no profile scope');
    t.equal(me.json().error, 'insufficient_scope');
    t.match(me.headers['www-authenticate'], /error="insufficient_scope", scope="profile"/);
    t.equal((await call(app, openidOnly.body.access_token!, 'GET', '/account/sessions')).statusCode, 200, 'its sessions list needs no profile');
    const withProfile = await codeFlowTokens(app, jar, 'spa', REDIRECT, 'openid profile');
    t.match((await call(app, withProfile.body.access_token!, 'GET', '/account/me')).json(), { username: `own-${kind}` });
  });
}

t.test('a client with the password grant is first-party; a file that says otherwise is refused', async (t) => {
  const registry = ClientRegistry.fromEntries(CLIENTS, 'api');
  t.equal(registry.get('web')?.firstParty, true);
  t.equal(registry.get('wiki')?.firstParty, false);
  t.throws(
    () => ClientRegistry.fromEntries([{ client_id: 'x', type: 'public', grant_types: ['password'], first_party: false }], 'api'),
    /first_party cannot be false/,
  );
});
