import { decodeJwt } from 'jose';
import t from 'tap';
import { adminCall, buildAdminTestApp, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { buildTestApp, form, realClock } from '../helpers/app.js';
import { oathtool } from '../helpers/oathtool.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { tokenRequest } from '../helpers/oauth.js';
import { ACCOUNT_SPA, authorizeUrl, codeFlowTokens, CookieJar, pkce, REDIRECT, submitAccountForm, visit } from '../helpers/sign-in.js';
import { startUpstream } from '../helpers/upstream-provider.js';
import { parseProviderEntry } from '../../src/federation/provider.js';

// Sign-in through an upstream OpenID provider: node-oidc-provider on a loopback port is the provider (real
// discovery, real tokens and signatures over real sockets); the service is its relying party through openid-client.

const ISSUER = 'http://127.0.0.1:3000';
const CALLBACK = `${ISSUER}/login/upstream/callback`;

async function setUp(t: Parameters<typeof buildTestApp>[0], options: { foreignKeys?: boolean } = {}) {
  const upstream = await startUpstream(t, CALLBACK, options);
  const provider = parseProviderEntry(
    {
      id: 'upstream',
      name: 'Upstream',
      issuer: upstream.issuer,
      client_id: upstream.clientId,
      client_secret: upstream.clientSecret,
      scope: 'openid profile email',
      userinfo: true,
    },
    {},
  );
  const built = await buildAdminTestApp(t, 'memory', {
    clients: [ACCOUNT_SPA, ...SERVICE_CLIENTS, OPS_CLIENT],
    clock: realClock(),
    config: { issuer: ISSUER, providers: [provider] },
  });
  return { ...built, upstream };
}

/** Follows a browser from the login page through the provider and back; answers the callback's response. */
async function throughUpstream(
  app: Awaited<ReturnType<typeof setUp>>['app'],
  upstream: Awaited<ReturnType<typeof setUp>>['upstream'],
  jar: CookieJar,
  login: string,
  start = '/login/upstream',
) {
  const toUpstream = await visit(app, jar, start);
  if (toUpstream.statusCode !== 303) throw new Error(`no redirect to the provider: ${toUpstream.statusCode} ${toUpstream.body}`);
  const callback = new URL(await upstream.signIn(String(toUpstream.headers.location), login));
  const answer = await visit(app, jar, `${callback.pathname}${callback.search}`);
  return { toUpstream, callback, answer };
}

t.test('Continue with a provider: a new account just in time, then the same account again; amr fed', async (t) => {
  const { app, upstream, logs, store, admin } = await setUp(t);
  const login = await visit(app, new CookieJar(), '/login');
  t.match(login.body, /<a href="\/login\/upstream">Continue with Upstream<\/a>/);

  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' });
  const jar = new CookieJar();
  const toLogin = await visit(app, jar, request);
  const loginPage = await visit(app, jar, String(toLogin.headers.location));
  const start = /<a href="(\/login\/upstream\?[^"]+)">/.exec(loginPage.body)![1]!.replaceAll('&amp;', '&');
  const { toUpstream, answer } = await throughUpstream(app, upstream, jar, 'ada', start);
  const asked = new URL(String(toUpstream.headers.location));
  t.equal(asked.origin, upstream.issuer);
  t.equal(asked.searchParams.get('code_challenge_method'), 'S256', 'PKCE');
  t.ok(asked.searchParams.get('state') && asked.searchParams.get('nonce'), 'state and nonce');
  t.equal(asked.searchParams.get('redirect_uri'), CALLBACK);
  t.equal(answer.statusCode, 303, 'signed in');
  t.match(String(answer.headers.location), /^\/oauth\/authorize\?/, 'on to the authorization request');
  const code = new URL(String((await visit(app, jar, String(answer.headers.location))).headers.location)).searchParams.get('code')!;
  const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  const claims = decodeJwt(tokens.body.id_token!);
  t.same(claims.amr, ['fed'], 'RFC 8176: federated');
  const user = (await store.users.findById(String(claims.sub)))!;
  t.equal(user.username, 'ada', 'the upstream name, where free');
  t.same(await store.identityLinks.listForUser(user.id), [
    {
      providerId: 'upstream',
      issuer: upstream.issuer,
      subject: 'ada',
      userId: user.id,
      linkedAt: (await store.identityLinks.listForUser(user.id))[0]!.linkedAt,
    },
  ]);
  t.ok(
    logs.records().some((line) => line.event === 'login_succeeded' && line.via === 'federation'),
    'audited',
  );

  const again = await throughUpstream(app, upstream, new CookieJar(), 'ada');
  t.equal(again.answer.statusCode, 303);
  t.equal((await store.users.list({ prefix: 'ada', limit: 10 })).users.length, 1, 'the same account, not another');

  t.equal((await adminCall(admin, await clientToken(app), 'DELETE', `/admin/users/${user.id}`)).statusCode, 204);
  t.same(await store.identityLinks.listForUser(user.id), [], 'a deleted account’s links are forgotten');
  await throughUpstream(app, upstream, new CookieJar(), 'ada');
  const renewed = (await store.users.list({ prefix: 'ada', limit: 10 })).users;
  t.ok(renewed.length === 1 && renewed[0]!.id !== user.id, 'so the identity signs in a new account, never the old one');

  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'bea', password: 'long enough' } });
  const namesake = await throughUpstream(app, upstream, new CookieJar(), 'bea');
  t.equal(namesake.answer.statusCode, 303);
  const created = (await store.users.list({ prefix: 'bea-', limit: 10 })).users;
  t.equal(created.length, 1, 'a name taken here gets a suffix: never the local account of that name');
});

t.test('refused with a clear page: a replayed callback, a foreign state, no cookie, an unknown provider, the provider down', async (t) => {
  const { app, upstream, store } = await setUp(t);
  const jar = new CookieJar();
  const first = await throughUpstream(app, upstream, jar, 'cyd');
  t.equal(first.answer.statusCode, 303);
  const replay = await visit(app, jar, `${first.callback.pathname}${first.callback.search}`);
  t.equal(replay.statusCode, 400, 'a replayed callback');
  t.match(replay.body, /The sign-in through the other provider was refused/);
  t.notMatch(replay.body, /at .*\.js|Error:/, 'never a stack trace');

  const browser = new CookieJar();
  const started = await visit(app, browser, '/login/upstream');
  const callback = new URL(await upstream.signIn(String(started.headers.location), 'dot'));
  callback.searchParams.set('state', 'forged');
  const forged = await visit(app, browser, `${callback.pathname}${callback.search}`);
  t.equal(forged.statusCode, 400, 'a state that is not this browser’s');
  t.equal(await store.users.findByUsernameKey('dot'), undefined, 'no account half made');

  const denied = await visit(app, new CookieJar(), '/login/upstream/callback?error=access_denied&state=x');
  t.equal(denied.statusCode, 400, 'no cookie: no sign-in');
  t.equal((await visit(app, new CookieJar(), '/login/nowhere')).statusCode, 404);

  const down = await buildTestApp(t, {
    clients: [ACCOUNT_SPA],
    config: {
      issuer: ISSUER,
      providers: [parseProviderEntry({ id: 'down', name: 'Down', issuer: 'http://127.0.0.1:9/', client_id: 'x', client_secret: 'y', scope: 'openid' }, {})],
    },
  });
  const unreachable = await visit(down.app, new CookieJar(), '/login/down');
  t.equal(unreachable.statusCode, 503, 'the provider down');
  t.match(unreachable.body, /cannot be reached/);
});

t.test('refused: an answer naming another issuer (RFC 9207), a foreign nonce, an ID token signed with a key the provider does not publish', async (t) => {
  const { app, upstream, store } = await setUp(t);
  const jar = new CookieJar();
  const started = await visit(app, jar, '/login/upstream');
  const callback = new URL(await upstream.signIn(String(started.headers.location), 'eve'));
  t.equal(callback.searchParams.get('iss'), upstream.issuer, 'the provider names itself in its answer');
  callback.searchParams.set('iss', 'http://127.0.0.1:1');
  const mixedUp = await visit(app, jar, `${callback.pathname}${callback.search}`);
  t.equal(mixedUp.statusCode, 400, 'a mix-up: the answer is not from the provider asked');
  t.match(mixedUp.body, /was refused/);
  t.equal(await store.users.findByUsernameKey('eve'), undefined, 'nothing made');

  // The browser's pending sign-in names another nonce than the one the ID token carries (a token injected from
  // another sign-in): refused (OpenID Connect Core §3.1.3.7 step 11).
  const nonceJar = new CookieJar();
  const toUpstream = await visit(app, nonceJar, '/login/upstream');
  const [, name, pending] = /((?:__Host-)?tokensmith-federation)=([^;]+)/.exec(nonceJar.header())!;
  const tampered = { ...JSON.parse(Buffer.from(pending!, 'base64url').toString('utf8')), nonce: 'another-nonce' };
  nonceJar.take(`${name}=${Buffer.from(JSON.stringify(tampered)).toString('base64url')}; Path=/`);
  const withNonce = new URL(await upstream.signIn(String(toUpstream.headers.location), 'gus'));
  t.equal((await visit(app, nonceJar, `${withNonce.pathname}${withNonce.search}`)).statusCode, 400, 'a nonce that is not this sign-in’s');
  t.equal(await store.users.findByUsernameKey('gus'), undefined, 'nothing made');

  const forged = await setUp(t, { foreignKeys: true });
  const browser = new CookieJar();
  const toForged = await visit(forged.app, browser, '/login/upstream');
  const answer = new URL(await forged.upstream.signIn(String(toForged.headers.location), 'fay'));
  const refused = await visit(forged.app, browser, `${answer.pathname}${answer.search}`);
  t.equal(refused.statusCode, 400, 'an ID token whose signature the published keys do not check');
  t.notMatch(refused.body, /at .*\.js|Error:/);
  t.equal(await forged.store.users.findByUsernameKey('fay'), undefined, 'nothing made');
});

t.test("the provider stands in for the password, not the account's second factor: amr fed otp mfa", async (t) => {
  const { app, upstream } = await setUp(t);
  const jar = new CookieJar();
  t.equal((await throughUpstream(app, upstream, jar, 'hal')).answer.statusCode, 303);
  // Without a password, the recent sign-in proves the account for the setup.
  const setup = await submitAccountForm(app, jar, '/account/two-step/setup', { current_password: '' });
  t.equal(setup.statusCode, 200, 'an authenticator app set up on a recent sign-in');
  const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(setup.body)![1]!.replaceAll(' ', '');
  const csrf = /name="csrf" value="([^"]+)"/.exec(setup.body)![1]!;
  const confirm = form({ csrf, code: oathtool(key) });
  const confirmed = await app.inject({
    method: 'POST',
    url: '/account/two-step/confirm',
    payload: confirm.payload,
    headers: { ...confirm.headers, cookie: jar.header() },
  });
  t.equal(confirmed.statusCode, 200);

  const browser = new CookieJar();
  const back = await throughUpstream(app, upstream, browser, 'hal');
  t.equal(back.answer.headers.location, '/login/second-step', 'the provider alone does not sign the account in');
  t.equal((await visit(app, browser, '/account')).statusCode, 303, 'not signed in yet');
  const step = await visit(app, browser, '/login/second-step');
  const stepCsrf = /name="csrf" value="([^"]+)"/.exec(step.body)![1]!;
  const code = form({ csrf: stepCsrf, code: oathtool(key, { steps: 1 }) });
  const done = await app.inject({ method: 'POST', url: '/login/second-step', payload: code.payload, headers: { ...code.headers, cookie: browser.header() } });
  browser.take(done.headers['set-cookie']);
  t.equal(done.statusCode, 303, 'the code signs in');
  const tokens = await codeFlowTokens(app, browser, 'spa', REDIRECT, 'openid');
  t.same(decodeJwt(tokens.body.id_token!).amr, ['fed', 'otp', 'mfa'], 'the ID token says how (RFC 8176)');
});
