import { decodeJwt } from 'jose';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { oathtool } from '../helpers/oathtool.js';
import { adminCall, buildAdminTestApp, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { buildTestApp, form, GENEROUS_LIMITS, realClock, type TestApp } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { startRedis } from '../helpers/redis-server.js';
import { ACCOUNT_SPA, authorizeUrl, CookieJar, codeFlowTokens, pkce, REDIRECT, signIn, submitAccountForm, visit } from '../helpers/sign-in.js';
import { startSmtp } from '../helpers/smtp.js';

// Authenticator-app codes come from Debian's oathtool, an implementation this project did not write.

const CLIENTS = [ACCOUNT_SPA, ...SERVICE_CLIENTS, OPS_CLIENT];

/** Posts a form of a page as the browser would, with the page's CSRF token. */
async function post(app: TestApp['app'], jar: CookieJar, page: string, action: string, fields: Record<string, string>) {
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  const body = form({ csrf, ...fields });
  const response = await app.inject({ method: 'POST', url: action, payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
  jar.take(response.headers['set-cookie']);
  return response;
}

function passwordGrant(app: TestApp['app'], username: string) {
  return app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'password', client_id: 'spa', username, password: 'long enough' }) });
}

/** Sets up an authenticator app for a signed-in browser; answers its key and recovery codes. */
async function enrol(app: TestApp['app'], jar: CookieJar) {
  const setup = await submitAccountForm(app, jar, '/account/two-step/setup', { current_password: 'long enough' });
  const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(setup.body)![1]!.replaceAll(' ', '');
  const code = oathtool(key);
  const confirmed = await post(app, jar, setup.body, '/account/two-step/confirm', { code });
  const codes = [...confirmed.body.matchAll(/<li><code>([a-z2-7-]+)<\/code><\/li>/g)].map((match) => match[1]!);
  return { setup, confirmed, key, code, codes };
}

t.test('an authenticator app: set up from /account, then asked for after the password; amr says so', async (t) => {
  const smtp = await startSmtp(t);
  const { admin, app } = await buildAdminTestApp(t, 'memory', {
    clients: CLIENTS,
    clock: realClock(),
    config: { mail: smtp.mailConfig(), rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 3 } },
  });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'pia', password: 'long enough', email: 'pia@example.com' } });
  const elsewhere = new CookieJar();
  await signIn(app, elsewhere, '/login', 'pia');
  const jar = new CookieJar();
  await signIn(app, jar, '/login', 'pia');
  t.match((await visit(app, jar, '/account')).body, /Two-step sign-in is off/);

  const setup = await submitAccountForm(app, jar, '/account/two-step/setup', { current_password: 'not it' });
  t.equal(setup.statusCode, 400, 'the current password first');
  const { setup: page, confirmed, key, code: enrolmentCode, codes } = await enrol(app, jar);
  t.match(page.body, /<div class="qr" role="img" aria-label="QR code of the key for your authenticator app"><svg/, 'a QR code drawn on the server');
  t.match(key, /^[A-Z2-7]{32}$/, 'a 160-bit key, as text too');
  t.equal(confirmed.statusCode, 200);
  t.equal(codes.length, 10, 'ten recovery codes, shown once');
  t.equal((await visit(app, elsewhere, '/account')).statusCode, 303, 'every other browser is signed out');
  t.match((await smtp.next('pia@example.com', 1)).subject, /Two-step sign-in is on/);

  const browser = new CookieJar();
  const afterPassword = await signIn(app, browser, '/login', 'pia');
  t.equal(afterPassword.statusCode, 303);
  t.equal(afterPassword.headers.location, '/login/second-step', 'the password alone does not sign in');
  t.equal((await visit(app, browser, '/account')).statusCode, 303, 'not signed in yet');
  const step = await visit(app, browser, '/login/second-step');
  t.match(step.body, /<label for="code">Authentication code<\/label>/);
  t.match(step.body, /Verify/);
  const wrong = await post(app, browser, step.body, '/login/second-step', { code: '000000' === oathtool(key) ? '111111' : '000000' });
  t.equal(wrong.statusCode, 401);
  // The very code the setup used: still within the skew window if a step has turned since, and refused all the same.
  const replayed = await post(app, browser, step.body, '/login/second-step', { code: enrolmentCode });
  t.equal(replayed.statusCode, 401, 'the code the setup used is not accepted again');
  const done = await post(app, browser, step.body, '/login/second-step', { code: oathtool(key, { steps: 1 }) });
  t.equal(done.statusCode, 303, 'the next code (within the one step of skew) signs in');
  t.equal(done.headers.location, '/account');
  const tokens = await codeFlowTokens(app, browser, 'spa', REDIRECT, 'openid');
  t.same(decodeJwt(tokens.body.id_token!).amr, ['pwd', 'otp', 'mfa'], 'the ID token says how (RFC 8176)');

  const recovery = new CookieJar();
  await signIn(app, recovery, '/login', 'pia');
  const recoveryPage = await visit(app, recovery, '/login/second-step?method=recovery');
  t.match(recoveryPage.body, /Recovery code/);
  const used = await post(app, recovery, recoveryPage.body, '/login/second-step', { code: codes[0]!.toUpperCase(), method: 'recovery' });
  t.equal(used.statusCode, 303, 'a recovery code signs in, in any letter case');
  const again = new CookieJar();
  await signIn(app, again, '/login', 'pia');
  const againPage = await visit(app, again, '/login/second-step?method=recovery');
  t.equal((await post(app, again, againPage.body, '/login/second-step', { code: codes[0]!, method: 'recovery' })).statusCode, 401, 'once');

  const grant = await passwordGrant(app, 'pia');
  t.equal(grant.statusCode, 400);
  t.match(grant.json().error_description, /second factor: use the browser sign-in/);

  for (let i = 0; i < 3; i += 1) await post(app, again, againPage.body, '/login/second-step', { code: '12345' + String(i) });
  const throttled = await post(app, again, againPage.body, '/login/second-step', { code: '123459' });
  t.equal(throttled.statusCode, 429, 'wrong codes are throttled as wrong passwords are');

  const token = await clientToken(app);
  const factors = await adminCall(admin, token, 'GET', '/admin/users/pia/factors');
  t.same(Object.keys(factors.json()).sort(), ['passkeys', 'recovery_codes_left', 'totp']);
  t.equal(factors.json().recovery_codes_left, 9);
  t.notMatch(factors.body, new RegExp(key), 'never the key');
  t.equal((await adminCall(admin, token, 'DELETE', '/admin/users/pia/factors')).statusCode, 204);
  t.equal((await passwordGrant(app, 'pia')).statusCode, 200, 'after the reset the password alone signs in');
  t.match((await smtp.next('pia@example.com', 2)).text, /removed by an operator/);
  t.equal((await adminCall(admin, token, 'DELETE', '/admin/users/pia/factors')).statusCode, 404);
});

t.test('a second step begun on one instance is finished on another (Redis); the app key is sealed at rest', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const config = { mfaSecretKey: randomBytes(32) };
  const first = await buildTestApp(t, { store: 'redis', redis, clients: CLIENTS, clock: realClock(), config });
  const shared = { prefix: (first.store as { prefix?: string }).prefix!, keysDir: first.keysDir };
  const second = await buildTestApp(t, { store: 'redis', redis, shared, clients: CLIENTS, clock: realClock(), config });
  await first.app.inject({ method: 'POST', url: '/account/register', payload: { username: 'quin', password: 'long enough' } });
  const jar = new CookieJar();
  await signIn(first.app, jar, '/login', 'quin');
  const { key } = await enrol(first.app, jar);
  const user = await first.store.users.findByUsernameKey('quin');
  const stored = (await first.store.mfa.totp(user!.id))!.secret;
  t.match(stored, /^v1\./, 'sealed with MFA_SECRET_KEY');
  t.notMatch(stored, new RegExp(key), 'the key itself is not in the store');
  const browser = new CookieJar();
  t.equal((await signIn(first.app, browser, '/login', 'quin')).headers.location, '/login/second-step');
  const page = await visit(second.app, browser, '/login/second-step');
  t.equal(page.statusCode, 200, 'the other instance knows the step');
  const done = await post(second.app, browser, page.body, '/login/second-step', { code: oathtool(key, { steps: 1 }) });
  t.equal(done.statusCode, 303);
  t.equal((await visit(first.app, browser, '/account')).statusCode, 200, 'signed in, on either instance');
});

t.test('step-up: a client that requires multi-factor, or acr_values=mfa, asks only for the missing factor', async (t) => {
  const bank = {
    client_id: 'bank',
    type: 'public',
    grant_types: ['authorization_code'],
    scope: 'openid',
    redirect_uris: ['https://bank.example/cb'],
    require_mfa: true,
    first_party: true,
  };
  const { app } = await buildTestApp(t, { clients: [...CLIENTS, bank], clock: realClock() });
  for (const username of ['sam', 'tess']) {
    await app.inject({ method: 'POST', url: '/account/register', payload: { username, password: 'long enough' } });
  }
  const jar = new CookieJar();
  await signIn(app, jar, '/login', 'sam');
  const { key } = await enrol(app, jar);
  // This browser signed in with the password alone before the app was added: its sign-in proves `pwd` only.
  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: 'bank', redirect_uri: 'https://bank.example/cb', code_challenge: challenge, scope: 'openid', state: 's1' });
  const silent = await visit(app, jar, `${request}&prompt=none`);
  t.equal(new URL(String(silent.headers.location)).searchParams.get('error'), 'interaction_required', 'prompt=none cannot step up');
  const stepUp = await visit(app, jar, request);
  t.equal(stepUp.headers.location, '/login/second-step', 'only the second factor is asked for, no password');
  const page = await visit(app, jar, '/login/second-step');
  const done = await post(app, jar, page.body, '/login/second-step', { code: oathtool(key, { steps: 1 }) });
  t.equal(done.statusCode, 303);
  t.equal(done.headers.location, request, 'back to the authorization request');
  const answer = await visit(app, jar, request);
  const code = new URL(String(answer.headers.location)).searchParams.get('code');
  t.ok(code, 'a code, now');
  const tokens = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'authorization_code', client_id: 'bank', code: code!, redirect_uri: 'https://bank.example/cb', code_verifier: verifier }),
  });
  const claims = decodeJwt(tokens.json().id_token);
  t.same([claims.acr, claims.amr], ['mfa', ['pwd', 'otp', 'mfa']]);

  const other = new CookieJar();
  await signIn(app, other, '/login', 'tess');
  const refused = await visit(
    app,
    other,
    authorizeUrl({ client_id: 'bank', redirect_uri: 'https://bank.example/cb', code_challenge: challenge, scope: 'openid' }),
  );
  const refusal = new URL(String(refused.headers.location)).searchParams;
  t.equal(refusal.get('error'), 'access_denied', 'a client that requires it, and a person without a second factor');
  t.match(refusal.get('error_description'), /set up an authenticator app/);
  const voluntary = await codeFlowTokens(app, other, 'spa', REDIRECT, 'openid');
  t.equal(decodeJwt(voluntary.body.id_token!).acr, 'pwd', 'without acr_values the password suffices');
  const preferred = await visit(
    app,
    other,
    `${authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' })}&acr_values=mfa`,
  );
  t.ok(
    new URL(String(preferred.headers.location)).searchParams.get('code'),
    'acr_values=mfa is voluntary (OIDC Core §3.1.2.1): no factor, the sign-in goes on',
  );

  const discovery = (await app.inject({ url: '/.well-known/openid-configuration' })).json();
  t.same(discovery.acr_values_supported, ['pwd', 'mfa']);
  t.ok(discovery.claims_supported.includes('acr') && discovery.claims_supported.includes('amr'));
});
