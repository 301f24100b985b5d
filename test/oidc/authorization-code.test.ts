import { decodeJwt, decodeProtectedHeader } from 'jose';
import t from 'tap';
import { accessTokenHash } from '../../src/tokens/id-token.js';
import { buildTestApp, form, type StoreKind } from '../helpers/app.js';
import { authorizeUrl, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, visit } from '../helpers/sign-in.js';
import { refresh, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const CLIENTS = [...SIGN_IN_CLIENTS, { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' }];

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`authorization code with PKCE from sign-in to tokens, single sign-on and code replay (${kind} store)`, async (t) => {
    const { app, config } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS });
    const { id: userId } = await register(app, 'ada');
    const jar = new CookieJar();
    const { verifier, challenge } = pkce();
    const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, state: 'st-1', nonce: 'n-1', scope: 'openid profile' });

    const toLogin = await visit(app, jar, request);
    t.equal(toLogin.statusCode, 302, 'no sign-in yet: to the login page');
    t.match(toLogin.headers.location, /^\/login\?return_to=%2Foauth%2Fauthorize%3F/);
    const loginPage = await visit(app, jar, toLogin.headers.location as string);
    t.match(loginPage.body, /<label for="username">Username<\/label>/);
    t.match(loginPage.body, /<label for="password">Password<\/label>/);
    t.match(loginPage.body, /<button type="submit">Sign in<\/button>/);
    t.match(loginPage.headers['content-security-policy'], /form-action 'self' https:\/\/app\.example;/, "the form may lead to the client's redirect URI");
    t.notMatch(loginPage.headers['content-security-policy'], /unsafe|script-src/);

    const wrong = await signIn(app, jar, toLogin.headers.location as string, 'ada', 'not the password');
    t.equal(wrong.statusCode, 401);
    t.match(wrong.body, /The username or password is wrong/);
    const signedIn = await signIn(app, jar, toLogin.headers.location as string, 'ada');
    t.equal(signedIn.statusCode, 303);
    t.equal(signedIn.headers.location, request, 'on to the authorization request');
    const cookie = ([] as string[]).concat(signedIn.headers['set-cookie'] ?? []).find((line) => /tokensmith-sign-in=/.test(line))!;
    t.match(cookie, /^__Host-tokensmith-sign-in=/, '__Host- prefixed');
    t.match(cookie, /; Path=\/(;|$)/);
    t.match(cookie, /; Secure/);
    t.match(cookie, /HttpOnly/);
    t.match(cookie, /SameSite=Lax/);
    t.notMatch(signedIn.headers.location, new RegExp(cookie.slice(cookie.indexOf('=') + 1, cookie.indexOf(';'))), 'the secret is in no URL');

    const toClient = await visit(app, jar, request);
    t.equal(toClient.statusCode, 302);
    const location = new URL(toClient.headers.location as string);
    t.equal(`${location.origin}${location.pathname}`, REDIRECT);
    t.equal(location.searchParams.get('state'), 'st-1', 'state echoed unchanged');
    t.equal(location.searchParams.get('iss'), config.issuer, 'iss in the response (RFC 9207)');
    const code = location.searchParams.get('code')!;

    const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
    t.equal(tokens.status, 200, JSON.stringify(tokens.body));
    t.equal(decodeJwt(tokens.body.access_token!).sub, userId);
    t.equal(decodeProtectedHeader(tokens.body.access_token!).typ, 'at+jwt');
    const idToken = decodeJwt(tokens.body.id_token!);
    t.equal(decodeProtectedHeader(tokens.body.id_token!).typ, 'JWT');
    t.same(
      { iss: idToken.iss, sub: idToken.sub, aud: idToken.aud, nonce: idToken.nonce, at_hash: idToken.at_hash },
      { iss: config.issuer, sub: userId, aud: 'spa', nonce: 'n-1', at_hash: accessTokenHash(tokens.body.access_token!) },
    );
    t.type(idToken.auth_time, 'number');
    t.type(idToken.sid, 'string');
    t.equal((await refresh(app, tokens.body.refresh_token!, 'spa')).status, 200, 'the refresh token rotates as for other grants');

    const replay = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
    t.same([replay.status, replay.body.error], [400, 'invalid_grant'], 'a code works once');
    const me = await app.inject({ url: '/account/me', headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    t.equal(me.statusCode, 401, 'the replay revoked the tokens issued from the code (RFC 6749 §4.1.2)');

    const second = pkce();
    const sso = await visit(app, jar, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: second.challenge, state: 'st-2' }));
    t.equal(sso.statusCode, 302);
    t.match(sso.headers.location, /^https:\/\/app\.example\/callback\?code=/, 'single sign-on: a code without a password prompt');
    const fresh = await visit(app, jar, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: second.challenge, prompt: 'login' }));
    t.match(fresh.headers.location, /^\/login\?/, 'prompt=login asks again');
    t.notMatch(decodeURIComponent(fresh.headers.location as string), /prompt=login/, 'and does not ask forever');
    const before = jar.header();
    await signIn(app, jar, fresh.headers.location as string, 'ada');
    t.not(jar.header(), before, 'signing in again sets a new sign-in secret (no session fixation)');
  });

  t.test(`a third-party client asks for consent once, remembered; Deny is access_denied (${kind} store)`, async (t) => {
    const { app } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS });
    await register(app, 'bob');
    const jar = new CookieJar();
    const { challenge } = pkce();
    const request = authorizeUrl({
      client_id: 'wiki',
      redirect_uri: 'https://wiki.example/oidc',
      code_challenge: challenge,
      state: 's',
      scope: 'openid profile',
    });
    await signIn(app, jar, `/login?${new URLSearchParams({ return_to: request })}`, 'bob');
    const consent = await visit(app, jar, request);
    t.equal(consent.statusCode, 200);
    t.match(consent.body, /<strong>wiki<\/strong>/);
    t.match(consent.body, /See your username/);
    t.match(consent.body, />Allow<\/button>/);
    t.match(consent.body, />Deny<\/button>/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(consent.body)![1]!;
    const decide = async (decision: string, token = csrf) => {
      const body = form({ authorization_request: request.slice(request.indexOf('?') + 1), decision, csrf: token });
      return app.inject({ method: 'POST', url: '/oauth/authorize', payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
    };
    t.equal((await decide('allow', 'forged')).statusCode, 403, 'a consent without the form token is refused (CSRF)');
    const denied = await decide('deny');
    t.equal(new URL(denied.headers.location as string).searchParams.get('error'), 'access_denied');
    const allowed = await decide('allow');
    t.match(allowed.headers.location, /^https:\/\/wiki\.example\/oidc\?code=/);
    const again = await visit(app, jar, request);
    t.match(again.headers.location, /^https:\/\/wiki\.example\/oidc\?code=/, 'the consent is remembered');
    const silent = await visit(app, new CookieJar(), `${request}&prompt=none`);
    t.equal(new URL(silent.headers.location as string).searchParams.get('error'), 'login_required', 'prompt=none without a sign-in');
  });
}

t.test('requests that cannot be trusted get a page, never a redirect; the rest redirect with the error', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  const { challenge } = pkce();
  const base = { client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, state: 'x' };
  // RFC 9700 §4.1.3: only the exact registered URI.
  for (const redirect of [
    'https://app.example/callback/',
    'https://app.example/callbackx',
    'https://app.example/callback/../evil',
    'https://APP.example/callback',
    'https://app.example/callback?x=1',
    'https://evil.example@app.example/callback',
    'https://app.example.evil.example/callback',
    'http://app.example/callback',
  ]) {
    const response = await app.inject({ url: authorizeUrl({ ...base, redirect_uri: redirect }) });
    t.equal(response.statusCode, 400, redirect);
    t.equal(response.headers.location, undefined, `no redirect to ${redirect}`);
  }
  t.equal((await app.inject({ url: authorizeUrl({ ...base, client_id: 'nobody' }) })).statusCode, 400, 'unknown client');
  t.equal((await app.inject({ url: authorizeUrl({ ...base, client_id: 'web' }) })).statusCode, 400, 'a client without the grant');
  const cases: Array<[Record<string, string>, string]> = [
    [{ code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge: '' }, 'invalid_request'],
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'admin' }, 'invalid_scope'],
    [{ prompt: 'none login' }, 'invalid_request'],
  ];
  for (const [change, error] of cases) {
    const response = await app.inject({ url: authorizeUrl({ ...base, ...change }) });
    const location = new URL(response.headers.location as string);
    t.same([response.statusCode, location.searchParams.get('error'), location.searchParams.get('state')], [302, error, 'x'], JSON.stringify(change));
    t.ok(location.searchParams.get('iss'), 'with iss');
  }
  const longState = new URL((await app.inject({ url: authorizeUrl({ ...base, state: 'x'.repeat(513) }) })).headers.location as string);
  t.same([longState.searchParams.get('error'), longState.searchParams.get('state')], ['invalid_request', null], 'a state too long is refused and not echoed');
  const repeated = await app.inject({ url: `${authorizeUrl(base)}&state=y` });
  t.equal(new URL(repeated.headers.location as string).searchParams.get('error'), 'invalid_request', 'a repeated parameter (RFC 6749 §3.1)');
});

t.test('the code is bound to its client, redirect URI and verifier', async (t) => {
  const { app } = await buildTestApp(t, { clients: [...CLIENTS, { ...CLIENTS[0], client_id: 'other-spa' }] });
  await register(app, 'cyd');
  const jar = new CookieJar();
  const codeFor = async () => {
    const pair = pkce();
    const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pair.challenge });
    await signIn(app, jar, `/login?${new URLSearchParams({ return_to: request })}`, 'cyd');
    const response = await visit(app, jar, request);
    return { code: new URL(response.headers.location as string).searchParams.get('code')!, ...pair };
  };
  const attempts: Array<[string, (c: { code: string; verifier: string }) => Record<string, string>]> = [
    ['another client (code injection)', (c) => ({ client_id: 'other-spa', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier })],
    ['another verifier', (c) => ({ client_id: 'spa', code: c.code, redirect_uri: REDIRECT, code_verifier: pkce().verifier })],
    ['no verifier (PKCE downgrade)', (c) => ({ client_id: 'spa', code: c.code, redirect_uri: REDIRECT })],
    ['another redirect URI', (c) => ({ client_id: 'spa', code: c.code, redirect_uri: 'https://app.example/other', code_verifier: c.verifier })],
  ];
  for (const [name, params] of attempts) {
    const issued = await codeFor();
    const response = await tokenRequest(app, { grant_type: 'authorization_code', ...params(issued) });
    t.equal(response.status, 400, name);
    t.ok(['invalid_grant', 'invalid_request'].includes(response.body.error!), `${name}: ${response.body.error}`);
  }
});
