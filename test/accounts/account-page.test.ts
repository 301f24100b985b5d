import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildTestApp, form, GENEROUS_LIMITS, type StoreKind } from '../helpers/app.js';
import { refresh, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { authorizeUrl, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, submitAccountForm, visit } from '../helpers/sign-in.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const CLIENTS = SIGN_IN_CLIENTS;

/** Signs a browser in and has the spa client redeem a code: the browser's sign-in and a token session it started. */
async function browserWithSession(app: FastifyInstance, username: string, password = 'long enough') {
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid profile' });
  await signIn(app, jar, `/login?${new URLSearchParams({ return_to: request })}`, username, password);
  const code = new URL((await visit(app, jar, request)).headers.location as string).searchParams.get('code')!;
  const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  return { jar, tokens: tokens.body };
}

/** Sends one of the account page's forms with the page's own CSRF token. */
const submit = submitAccountForm;

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`the account page lists sessions and consents and ends them; a password change signs other browsers out (${kind} store)`, async (t) => {
    const { app } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS });
    await register(app, 'hedy');
    const laptop = await browserWithSession(app, 'hedy');
    const phone = await browserWithSession(app, 'hedy');

    t.equal((await visit(app, new CookieJar(), '/account')).headers.location, '/login', 'not signed in: to the login page');
    const page = await visit(app, laptop.jar, '/account');
    t.equal(page.statusCode, 200);
    t.match(page.body, /signed in as <strong>hedy<\/strong>/);
    t.equal((page.body.match(/<td>spa/g) ?? []).length, 2, 'both sessions listed');
    t.equal((page.body.match(/\(this browser\)/g) ?? []).length, 1, "this browser's session marked");
    t.match(page.body, /<label for="current_password">Current password<\/label>/);

    const forged = await app.inject({
      method: 'POST',
      url: '/account/end-other-sessions',
      ...form({ csrf: 'forged' }),
      headers: { ...form({}).headers, cookie: laptop.jar.header() },
    });
    t.equal(forged.statusCode, 403, 'a form without the page token changes nothing (CSRF)');
    t.equal((await refresh(app, phone.tokens.refresh_token!, 'spa')).status, 200, 'the phone session still works');

    const wiki = authorizeUrl({ client_id: 'wiki', redirect_uri: 'https://wiki.example/oidc', code_challenge: pkce().challenge });
    const consentPage = await visit(app, laptop.jar, wiki);
    const csrf = /name="csrf" value="([^"]+)"/.exec(consentPage.body)![1]!;
    const allow = form({ authorization_request: wiki.slice(wiki.indexOf('?') + 1), decision: 'allow', csrf });
    await app.inject({ method: 'POST', url: '/oauth/authorize', payload: allow.payload, headers: { ...allow.headers, cookie: laptop.jar.header() } });
    t.match((await visit(app, laptop.jar, '/account')).body, /<strong>wiki<\/strong>: openid, profile/, 'the consent is listed');
    t.equal((await submit(app, laptop.jar, '/account/withdraw-consent', { client_id: 'wiki' })).statusCode, 303);
    t.equal((await visit(app, laptop.jar, wiki)).statusCode, 200, 'withdrawn: the wiki asks again');

    t.equal((await submit(app, laptop.jar, '/account/end-other-sessions')).statusCode, 303);
    t.equal((await refresh(app, phone.tokens.refresh_token!, 'spa')).status, 400, "the phone's session ended");
    t.match(
      (await visit(app, phone.jar, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge }))).headers.location,
      /^\/login\?/,
      'and the phone is signed out',
    );
    const laptopRefresh = await refresh(app, laptop.tokens.refresh_token!, 'spa');
    t.equal(laptopRefresh.status, 200, "this browser's session lives");

    const wrong = await submit(app, laptop.jar, '/account/change-password', { current_password: 'not it', new_password: 'a new secret' });
    t.equal(wrong.statusCode, 400);
    t.match(wrong.body, /The current password is wrong/);
    const phoneAgain = await browserWithSession(app, 'hedy');
    const changed = await submit(app, laptop.jar, '/account/change-password', { current_password: 'long enough', new_password: 'a new secret' });
    t.equal(changed.statusCode, 200);
    t.match(changed.body, /Your password is changed/);
    t.equal((await refresh(app, phoneAgain.tokens.refresh_token!, 'spa')).status, 400, 'the password change ended the other sessions');
    t.match(
      (await visit(app, phoneAgain.jar, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge }))).headers.location,
      /^\/login\?/,
      'and signed the other browser out',
    );
    t.equal((await refresh(app, laptopRefresh.body.refresh_token!, 'spa')).status, 200, 'this browser keeps its session');
    t.equal((await signIn(app, new CookieJar(), '/login', 'hedy', 'a new secret')).statusCode, 303, 'the new password signs in');

    t.equal((await submit(app, laptop.jar, '/logout')).headers.location, '/login');
    t.equal((await refresh(app, laptopRefresh.body.refresh_token!, 'spa')).status, 400, 'signing out ended the sessions this sign-in started');
    t.equal((await visit(app, laptop.jar, '/account')).headers.location, '/login');
  });
}

t.test('the registration page creates an account, signs it in and continues the authorization request; closed, it says so', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  const jar = new CookieJar();
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge, state: 'r' });
  const loginUrl = `/login?${new URLSearchParams({ return_to: request })}`;
  const login = await visit(app, jar, loginUrl);
  const link = /<a href="([^"]+)">Create one<\/a>/.exec(login.body)![1]!.replaceAll('&amp;', '&');
  const page = await visit(app, jar, link);
  t.match(page.body, /<button type="submit">Create account<\/button>/);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const returnTo = /name="return_to" value="([^"]+)"/.exec(page.body)![1]!.replaceAll('&amp;', '&');
  const post = (fields: Record<string, string>) => {
    const body = form({ csrf, return_to: returnTo, ...fields });
    return app.inject({ method: 'POST', url: '/register', payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
  };
  t.equal((await post({ username: 'x', password: 'long enough' })).statusCode, 400, 'a name the service does not take');
  const created = await post({ username: 'newcomer', password: 'long enough' });
  t.equal(created.statusCode, 303);
  t.equal(created.headers.location, request, 'on to the authorization request');
  jar.take(created.headers['set-cookie']);
  t.match((await visit(app, jar, request)).headers.location, /^https:\/\/app\.example\/callback\?code=/, 'signed in as the new account');
  const taken = await post({ username: 'newcomer', password: 'another one' });
  t.equal(taken.statusCode, 409);
  t.match(taken.body, /That username is taken/);

  const closed = await buildTestApp(t, { clients: CLIENTS, config: { registration: 'closed' } });
  t.notMatch((await visit(closed.app, new CookieJar(), '/login')).body, /Create one/, 'closed: the login page offers no registration');
  t.equal((await visit(closed.app, new CookieJar(), '/register')).statusCode, 403);
});

t.test('a sign-in that keeps sending wrong current passwords is signed out (no password oracle for a stolen cookie)', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 3 } } });
  await register(app, 'ivan');
  const { jar } = await browserWithSession(app, 'ivan');
  for (let i = 1; i < 3; i++)
    t.equal((await submit(app, jar, '/account/change-password', { current_password: `guess ${i}`, new_password: 'a new secret' })).statusCode, 400);
  const third = await submit(app, jar, '/account/change-password', { current_password: 'guess 3', new_password: 'a new secret' });
  t.equal(third.statusCode, 400);
  t.match(third.body, /this browser is signed out/);
  t.equal((await visit(app, jar, '/account')).headers.location, '/login', 'the sign-in has ended');
});
