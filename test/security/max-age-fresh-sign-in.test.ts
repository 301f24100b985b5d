/**
 * max_age=0 asks for a sign-in now (OpenID Connect Core §3.1.2.1). The person signs in for that very request, and
 * the redirect back to it, or the consent page after it, may cross a second boundary: the request must go on, not
 * send them back to /login (it did in 2 runs of 6). The sign-in stands for that request only, and only while its
 * interaction lasts.
 */
import { decodeJwt } from 'jose';
import t from 'tap';
import { buildTestApp, type StoreKind } from '../helpers/app.js';
import { tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { allowConsent, authorizeUrl, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, visit } from '../helpers/sign-in.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const KINDS: StoreKind[] = ['memory', 'redis'];
const WIKI = 'https://wiki.example/oidc';

for (const kind of KINDS) {
  t.test(`a sign-in made for a max_age=0 request satisfies it, late by seconds (${kind} store)`, async (t) => {
    const { app, clock } = await buildTestApp(t, { store: kind, redis, clients: SIGN_IN_CLIENTS });
    await register(app, `fresh-${kind}`);
    const jar = new CookieJar();
    const { verifier, challenge } = pkce();
    const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid', max_age: '0', nonce: 'n' });
    const toLogin = await visit(app, jar, request);
    t.match(toLogin.headers.location, /^\/login\?/, 'no sign-in yet');
    const signedIn = await signIn(app, jar, String(toLogin.headers.location), `fresh-${kind}`);
    t.equal(signedIn.statusCode, 303);
    const signedInAt = Math.floor(clock() / 1000);
    clock.advance(2);
    const back = await visit(app, jar, String(signedIn.headers.location));
    t.match(back.headers.location, /^https:\/\/app\.example\/callback\?code=/, 'two seconds later, the request it was made for goes on');
    const code = new URL(String(back.headers.location)).searchParams.get('code')!;
    const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
    t.equal(decodeJwt(tokens.body.id_token!).auth_time, signedInAt, 'auth_time says when the person signed in');

    const another = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge, scope: 'openid', max_age: '0', nonce: 'n' });
    t.match((await visit(app, jar, another)).headers.location, /^\/login\?/, 'another max_age=0 request asks again');
    clock.advance(600);
    t.match((await visit(app, jar, String(signedIn.headers.location))).headers.location, /^\/login\?/, 'and so does the same one after its interaction');
  });

  t.test(`a consent page read for seconds after a max_age=0 sign-in still ends in a code (${kind} store)`, async (t) => {
    const { app, clock } = await buildTestApp(t, { store: kind, redis, clients: SIGN_IN_CLIENTS });
    await register(app, `consent-${kind}`);
    const jar = new CookieJar();
    const request = authorizeUrl({ client_id: 'wiki', redirect_uri: WIKI, code_challenge: pkce().challenge, scope: 'openid profile', max_age: '0' });
    const signedIn = await signIn(app, jar, String((await visit(app, jar, request)).headers.location), `consent-${kind}`);
    clock.advance(1);
    const consent = await visit(app, jar, String(signedIn.headers.location));
    t.equal(consent.statusCode, 200);
    t.match(consent.body, /Allow access\?/);
    clock.advance(8);
    const allowed = await allowConsent(app, jar, consent.body, String(signedIn.headers.location));
    t.match(allowed.headers.location, /^https:\/\/wiki\.example\/oidc\?code=/, 'Allow, eight seconds later, gives the code');
  });
}
