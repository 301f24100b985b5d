import t from 'tap';
import { buildTestApp, form, GENEROUS_LIMITS } from '../helpers/app.js';
import { tokenRequest } from '../helpers/oauth.js';
import { authorizeUrl, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, visit } from '../helpers/sign-in.js';

const CLIENTS = SIGN_IN_CLIENTS;

t.test('login CSRF (RFC 6749 §10.12): a login form not from this browser signs nobody in', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  await register(app, 'victim-of-csrf');
  const attempts = [
    { name: 'no token, no cookie', cookie: '', csrf: '' },
    { name: "the attacker's own page's token, without the victim's cookie", cookie: '', csrf: 'x'.repeat(43) },
  ];
  for (const attempt of attempts) {
    const body = form({ username: 'victim-of-csrf', password: 'long enough', csrf: attempt.csrf });
    const response = await app.inject({ method: 'POST', url: '/login', payload: body.payload, headers: { ...body.headers, cookie: attempt.cookie } });
    t.equal(response.statusCode, 403, attempt.name);
    t.notMatch(String(response.headers['set-cookie'] ?? ''), /sign-in=/, `${attempt.name}: no sign-in cookie`);
  }
  const attacker = new CookieJar();
  const page = await visit(app, attacker, '/login');
  const attackerToken = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const victim = new CookieJar();
  await visit(app, victim, '/login');
  const body = form({ username: 'victim-of-csrf', password: 'long enough', csrf: attackerToken });
  const crossed = await app.inject({ method: 'POST', url: '/login', payload: body.payload, headers: { ...body.headers, cookie: victim.header() } });
  t.equal(crossed.statusCode, 403, "a token from another browser's page is refused");
});

t.test('clickjacking (RFC 6749 §10.13): no page may be framed, and no page runs a script', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  await register(app, 'framed');
  const jar = new CookieJar();
  const request = authorizeUrl({ client_id: 'wiki', redirect_uri: 'https://wiki.example/oidc', code_challenge: pkce().challenge });
  await signIn(app, jar, `/login?${new URLSearchParams({ return_to: request })}`, 'framed');
  for (const url of ['/login', request, '/account', '/oauth/end-session']) {
    const response = await visit(app, jar, url);
    t.equal(response.statusCode, 200, url);
    t.equal(response.headers['x-frame-options'], 'DENY', `${url}: X-Frame-Options`);
    const csp = String(response.headers['content-security-policy']);
    t.match(csp, /frame-ancestors 'none'/, `${url}: frame-ancestors`);
    t.match(csp, /default-src 'none'/);
    t.notMatch(csp, /script-src|unsafe-/, `${url}: no script allowed at all`);
    t.notMatch(response.body, /<script/i, `${url}: and none in the page`);
    t.equal(response.headers['cache-control'], 'no-store', `${url}: never cached (it may carry a CSRF token)`);
  }
});

t.test('/login is no open redirector: only an authorization request of this service is continued', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  await register(app, 'redirected');
  for (const returnTo of [
    'https://evil.example/',
    '//evil.example/oauth/authorize?x',
    '/oauth/authorize-evil?x',
    '/\\evil.example/oauth/authorize?',
    'javascript:alert(1)',
  ]) {
    const response = await signIn(app, new CookieJar(), `/login?${new URLSearchParams({ return_to: returnTo })}`, 'redirected');
    t.equal(response.headers.location, '/account', `${returnTo} is dropped`);
  }
});

t.test('state comes back byte for byte, and every authorization response names the issuer (mix-up, RFC 9207)', async (t) => {
  const { app, config } = await buildTestApp(t, { clients: CLIENTS });
  await register(app, 'stateful');
  const jar = new CookieJar();
  const state = 'a b&c=d%e/ü?#';
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge, state });
  await signIn(app, jar, `/login?${new URLSearchParams({ return_to: request })}`, 'stateful');
  const success = new URL((await visit(app, jar, request)).headers.location as string);
  t.equal(success.searchParams.get('state'), state);
  t.equal(success.searchParams.get('iss'), config.issuer);
  const refused = new URL((await visit(app, jar, `${request}&scope=nope`)).headers.location as string);
  t.equal(refused.searchParams.get('state'), state);
  t.equal(refused.searchParams.get('iss'), config.issuer);
});

t.test('no token, code, sign-in secret or CSRF token ever reaches a log line', async (t) => {
  const { app, logs } = await buildTestApp(t, { clients: CLIENTS, config: { logLevel: 'trace' } });
  await register(app, 'logged');
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid profile', state: 'st', nonce: 'nn' });
  const loginPage = await visit(app, jar, `/login?${new URLSearchParams({ return_to: request })}`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(loginPage.body)![1]!;
  await signIn(app, jar, `/login?${new URLSearchParams({ return_to: request })}`, 'logged');
  const code = new URL((await visit(app, jar, request)).headers.location as string).searchParams.get('code')!;
  const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  const secrets = {
    code,
    verifier,
    csrf,
    access: tokens.body.access_token!,
    refresh: tokens.body.refresh_token!,
    id: tokens.body.id_token!,
    ...Object.fromEntries(
      jar
        .header()
        .split('; ')
        .map((pair) => pair.split('=') as [string, string]),
    ),
  };
  t.ok(logs.lines.length > 5, `${logs.lines.length} log lines written`);
  for (const [name, secret] of Object.entries(secrets)) {
    t.notOk(
      logs.lines.some((line) => line.includes(secret)),
      `${name} is in no log line`,
    );
  }
});

t.test('the login page says why a sign-in failed: a wait with its length, or wrong credentials', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { rateLimits: { ...GENEROUS_LIMITS, loginPerUser: 2 } } });
  await register(app, 'limited');
  const jar = new CookieJar();
  t.equal((await signIn(app, jar, '/login', 'limited', 'wrong one')).statusCode, 401);
  t.equal((await signIn(app, jar, '/login', 'limited', 'wrong two')).statusCode, 401);
  const limited = await signIn(app, jar, '/login', 'limited', 'wrong three');
  t.equal(limited.statusCode, 429);
  t.match(limited.body, /Too many sign-in attempts\. Please wait \d+ seconds/);
  t.match(limited.body, /role="alert"/, 'announced to screen readers');
});
