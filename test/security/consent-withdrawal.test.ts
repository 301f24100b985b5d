/**
 * Withdrawing a consent on the account page takes back what the application was given: its sessions of this person
 * end (refresh refused, access tokens refused wherever sids are checked), a code it was issued before and has not
 * redeemed yet is refused, and the page says so before the person confirms.
 */
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildTestApp, type StoreKind } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { introspectedActive, refresh, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { authorizeUrl, codeFlowTokens, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, submitAccountForm, visit } from '../helpers/sign-in.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const KINDS: StoreKind[] = ['memory', 'redis'];
const WIKI = 'https://wiki.example/oidc';
const CLIENTS = [SIGN_IN_CLIENTS[0], { ...SIGN_IN_CLIENTS[1], grant_types: ['authorization_code', 'refresh_token'] }, ...SERVICE_CLIENTS];

function userinfo(app: FastifyInstance, token: string) {
  return app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${token}` } });
}

for (const kind of KINDS) {
  t.test(`withdrawing a consent ends the application's sessions and voids its unredeemed code (${kind} store)`, async (t) => {
    const { app, logs } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS });
    const { id: userId } = await register(app, `withdraw-${kind}`);
    const jar = new CookieJar();
    await signIn(app, jar, '/login', `withdraw-${kind}`);
    const wiki = await codeFlowTokens(app, jar, 'wiki', WIKI, 'openid profile');
    t.equal(wiki.status, 200);
    const own = await codeFlowTokens(app, jar, 'spa', REDIRECT, 'openid profile');
    t.match((await userinfo(app, wiki.body.access_token!)).json(), { preferred_username: `withdraw-${kind}` });
    // A code wiki was issued and has not redeemed yet.
    const { verifier, challenge } = pkce();
    const pending = new URL(
      String((await visit(app, jar, authorizeUrl({ client_id: 'wiki', redirect_uri: WIKI, code_challenge: challenge, scope: 'openid' }))).headers.location),
    );
    const code = pending.searchParams.get('code')!;

    const page = await visit(app, jar, '/account');
    t.match(page.body, /<strong>wiki<\/strong>/);
    t.match(page.body, /Withdrawing also signs that application out: its sessions end now/, 'the page says so before the person confirms');
    t.equal((await submitAccountForm(app, jar, '/account/withdraw-consent', { client_id: 'wiki' })).statusCode, 303);

    const after = await userinfo(app, wiki.body.access_token!);
    t.equal(after.statusCode, 401, "wiki's access token is refused at /userinfo");
    t.equal(await introspectedActive(app, wiki.body.access_token!), false, 'and by introspection');
    const refreshed = await refresh(app, wiki.body.refresh_token!, 'wiki');
    t.equal(refreshed.status, 400);
    t.equal(refreshed.body.error, 'invalid_grant', 'its refresh token no longer rotates');
    const redeemed = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'wiki', code, redirect_uri: WIKI, code_verifier: verifier });
    t.equal(redeemed.body.error, 'invalid_grant', 'the code issued before the withdrawal is refused');
    t.notMatch((await visit(app, jar, '/account')).body, /<td>wiki/, 'no wiki session is left');
    t.equal((await refresh(app, own.body.refresh_token!, 'spa')).status, 200, "the person's own app is untouched");
    const again = await visit(app, jar, authorizeUrl({ client_id: 'wiki', redirect_uri: WIKI, code_challenge: pkce().challenge, scope: 'openid' }));
    t.match(again.body, /Allow access\?/, 'wiki must ask again');
    const events = logs.records().filter((line) => line.event === 'consent_withdrawn');
    t.match(events, [{ event: 'consent_withdrawn', user_id: userId, client_id: 'wiki', count: 1 }], 'one audit event naming the user');
  });
}
