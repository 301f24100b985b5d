import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildTestApp, form } from '../helpers/app.js';
import { registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { authorizeUrl, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, visit } from '../helpers/sign-in.js';

const CLIENTS = [
  { ...SIGN_IN_CLIENTS[0], post_logout_redirect_uris: ['https://app.example/bye'] },
  SIGN_IN_CLIENTS[1],
  { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' },
];

/** Signs in and redeems a code for the spa client: the browser and its tokens (with an ID token). */
async function signedInWithTokens(app: FastifyInstance, username: string) {
  await register(app, username);
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid profile' });
  await signIn(app, jar, `/login?${new URLSearchParams({ return_to: request })}`, username);
  const code = new URL((await visit(app, jar, request)).headers.location as string).searchParams.get('code')!;
  const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  return { jar, tokens: tokens.body };
}

t.test('max_age: a sign-in older than it asks for the password again, and prompt=none then answers login_required', async (t) => {
  const { app, clock } = await buildTestApp(t, { clients: CLIENTS });
  const { jar } = await signedInWithTokens(app, 'ida');
  const request = (extra: Record<string, string>) => authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge, ...extra });
  t.match((await visit(app, jar, request({ max_age: '60' }))).headers.location, /^https:\/\/app\.example\/callback\?code=/, 'young enough');
  clock.advance(61);
  t.match((await visit(app, jar, request({ max_age: '60' }))).headers.location, /^\/login\?/, 'too old: sign in again');
  const silent = new URL((await visit(app, jar, request({ max_age: '60', prompt: 'none' }))).headers.location as string);
  t.equal(silent.searchParams.get('error'), 'login_required');
  t.match((await visit(app, jar, request({ prompt: 'consent' }))).body, /Allow access\?/, 'prompt=consent asks even a first-party client');
  t.equal(new URL((await visit(app, jar, request({ max_age: 'soon' }))).headers.location as string).searchParams.get('error'), 'invalid_request');
});

t.test('UserInfo answers the openid scope, by GET and POST, and nothing else', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  const { tokens } = await signedInWithTokens(app, 'joan');
  for (const method of ['GET', 'POST'] as const) {
    const response = await app.inject({ method, url: '/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } });
    t.equal(response.statusCode, 200, method);
    t.match(response.json(), { sub: String, preferred_username: 'joan' });
    t.equal(response.headers['cache-control'], 'no-store');
  }
  const none = await app.inject({ url: '/userinfo' });
  t.equal(none.statusCode, 401);
  t.match(none.headers['www-authenticate'], /^Bearer realm=/);
  const passwordToken = (await registerAndLogin(app, 'kate')).access_token!;
  const withoutOpenid = await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${passwordToken}` } });
  t.equal(withoutOpenid.statusCode, 403, 'a token without openid (OpenID Connect Core §5.3.3)');
  t.match(withoutOpenid.headers['www-authenticate'], /error="insufficient_scope"/);
});

t.test('RP-initiated logout: a hint of this sign-in signs out at once; without one it asks; only registered addresses', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  const { jar, tokens } = await signedInWithTokens(app, 'lise');
  const endSession = (params: Record<string, string>, browser = jar) => visit(app, browser, `/oauth/end-session?${new URLSearchParams(params)}`);

  const unregistered = await endSession({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' });
  t.equal(unregistered.statusCode, 400, 'an unregistered post_logout_redirect_uri is a page, never a redirect');
  t.equal(unregistered.headers.location, undefined);
  t.equal((await endSession({ id_token_hint: `${tokens.id_token!.slice(0, -4)}AAAA` })).statusCode, 400, 'a forged hint');

  const asked = await endSession({ post_logout_redirect_uri: 'https://app.example/bye', client_id: 'spa', state: 's' });
  t.equal(asked.statusCode, 200);
  t.match(asked.body, /Sign out\?/, 'no hint: the person is asked');
  const csrf = /name="csrf" value="([^"]+)"/.exec(asked.body)![1]!;
  const confirm = form({ csrf, post_logout_redirect_uri: 'https://app.example/bye', client_id: 'spa', state: 's' });
  const forged = form({ csrf: 'forged', client_id: 'spa' });
  t.equal(
    (await app.inject({ method: 'POST', url: '/oauth/end-session', payload: forged.payload, headers: { ...forged.headers, cookie: jar.header() } })).statusCode,
    403,
    'CSRF',
  );

  const done = await endSession({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://app.example/bye', state: 'st' });
  t.equal(done.headers.location, 'https://app.example/bye?state=st', 'with the hint of this sign-in: signed out and back with state');
  const refreshed = await tokenRequest(app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: tokens.refresh_token! });
  t.equal(refreshed.status, 400, 'the sessions the sign-in started are ended');
  t.match((await visit(app, jar, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge }))).headers.location, /^\/login\?/);
  const confirmed = await app.inject({
    method: 'POST',
    url: '/oauth/end-session',
    payload: confirm.payload,
    headers: { ...confirm.headers, cookie: jar.header() },
  });
  t.equal(confirmed.statusCode, 403, 'the confirmation form was bound to the sign-in that is now gone');
});

t.test('the login page says when the service is unavailable (503), and changes nothing', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const { app } = await buildTestApp(t, { store: 'redis', redis, clients: CLIENTS });
  await register(app, 'mona');
  const jar = new CookieJar();
  const page = await visit(app, jar, '/login');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  await redis.stop();
  const body = form({ username: 'mona', password: 'long enough', csrf });
  const response = await app.inject({ method: 'POST', url: '/login', payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
  t.equal(response.statusCode, 503);
  t.match(response.body, /unavailable for a moment/);
  t.notMatch(String(response.headers['set-cookie'] ?? ''), /sign-in=/, 'no sign-in cookie');
  const again = await visit(app, jar, '/login');
  t.equal(again.statusCode, 503, 'the page itself, while Redis is down');
  t.match(again.headers['content-type'], /^text\/html/, 'as a page, not JSON');
  t.match(again.body, /unavailable for a moment/);
  t.equal(again.headers['retry-after'], '5');
});
