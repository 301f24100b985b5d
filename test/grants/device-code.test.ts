import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import t from 'tap';
import { hashClientSecret } from '../../src/clients/secret.js';
import { DEVICE_CODE } from '../../src/grants/grant-type.js';
import { parseResources } from '../../src/resources/protected-resource.js';
import { buildTestApp, form, GENEROUS_LIMITS, realClock, testClock, type TestApp } from '../helpers/app.js';
import { SoftAuthenticator } from '../helpers/passkey-authenticator.js';
import { addPasskey, csrfOf, postForm, postJson } from '../helpers/passkeys.js';
import { basicAuth, SERVICE_CLIENTS } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { introspection, tokenRequest } from '../helpers/oauth.js';
import { CookieJar, register, signIn, SIGN_IN_CLIENTS, visit } from '../helpers/sign-in.js';

const CLI_SECRET = 'cli-secret-0123456789abcdefghijklmnopqrstuv';
const MCP = 'https://mcp.example/mcp';

/** `tv`: a public third-party device; `cli`: a confidential first-party one; `spa` has no device grant. */
const CLIENTS = [
  ...SIGN_IN_CLIENTS,
  { client_id: 'tv', type: 'public', grant_types: [DEVICE_CODE, 'refresh_token'], scope: 'openid profile email', client_name: 'Living-room TV' },
  { client_id: 'cli', type: 'confidential', client_secret_hash: hashClientSecret(CLI_SECRET), grant_types: [DEVICE_CODE], scope: 'tools', first_party: true },
  SERVICE_CLIENTS.find((client) => client.client_id === 'gateway')!,
];
const RESOURCES = parseResources([{ resource: MCP, name: 'Tools', scopes: ['tools'], clients: ['cli'] }]);

/** The device authorization response (RFC 8628 §3.2), or an error. */
interface DeviceAnswer {
  device_code: string;
  user_code: string;
  interval: number;
  expires_in: number;
  error?: string;
}

/** Starts a device authorization request as a device would (RFC 8628 §3.1). */
async function startDevice(app: TestApp['app'], params: Record<string, string>, headers: Record<string, string> = {}) {
  const body = form(params);
  const response = await app.inject({ method: 'POST', url: '/oauth/device_authorization', payload: body.payload, headers: { ...body.headers, ...headers } });
  return { status: response.statusCode, body: response.json() as DeviceAnswer, headers: response.headers };
}

/** One poll of the token endpoint with a device code. */
function poll(app: TestApp['app'], deviceCode: string, clientId = 'tv', extra: Record<string, string> = {}) {
  return tokenRequest(app, { grant_type: DEVICE_CODE, client_id: clientId, device_code: deviceCode, ...extra });
}

/** A person signed in at a browser (the cookie jar), ready to use /device. */
async function signedInBrowser(app: TestApp['app'], username: string) {
  await register(app, username);
  const jar = new CookieJar();
  const login = await visit(app, jar, '/device');
  await signIn(app, jar, String(login.headers.location), username);
  return jar;
}

/** Enters a user code at /device, as the person typing it: answers the page. */
async function enterCode(app: TestApp['app'], jar: CookieJar, userCode: string) {
  const entry = await visit(app, jar, '/device');
  const csrf = /name="csrf" value="([^"]+)"/.exec(entry.body)![1]!;
  const body = form({ user_code: userCode, csrf });
  return app.inject({ method: 'POST', url: '/device', payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
}

/** Allows or denies the device a confirmation page shows. */
async function decide(app: TestApp['app'], jar: CookieJar, confirmation: string, decision: 'allow' | 'deny') {
  const csrf = /name="csrf" value="([^"]+)"/.exec(confirmation)![1]!;
  const userCode = /name="user_code" value="([^"]+)"/.exec(confirmation)![1]!;
  const body = form({ user_code: userCode, decision, csrf });
  return app.inject({ method: 'POST', url: '/device/decision', payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
}

t.test('the device grant with openid-client: the person approves at /device, the polling device gets tokens and a session', async (t) => {
  const auth = await listenTestApp(t, { clients: CLIENTS, config: { resources: RESOURCES, deviceAuthorization: { ttl: 600, interval: 1 } } });
  const { id: userId } = await register(auth.app, 'ada');
  const insecure = { execute: [oidc.allowInsecureRequests] };
  const tv = await oidc.discovery(new URL(auth.base), 'tv', undefined, oidc.None(), insecure);
  t.equal(tv.serverMetadata().device_authorization_endpoint, `${auth.base}/oauth/device_authorization`, 'discovery names the endpoint (RFC 8628 §4)');
  t.ok(tv.serverMetadata().grant_types_supported?.includes(DEVICE_CODE));
  t.ok(tv.serverMetadata().scopes_supported?.includes('tools'), 'a device client asks a person: its scopes are advertised');

  const started = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile' });
  t.match(started, {
    user_code: /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/,
    verification_uri: `${auth.base}/device`,
    expires_in: 600,
    interval: 1,
  });
  t.equal(started.verification_uri_complete, `${auth.base}/device?user_code=${started.user_code}`);
  // The device polls from now on; openid-client waits `interval` between polls and goes on through authorization_pending.
  const polled = oidc.pollDeviceAuthorizationGrant(tv, started);

  // The person opens the link the device shows (a QR code, say): the login page first, then back to /device.
  const jar = new CookieJar();
  const complete = new URL(started.verification_uri_complete!);
  const first = await visit(auth.app, jar, `${complete.pathname}${complete.search}`);
  t.equal(first.statusCode, 302);
  const login = await signIn(auth.app, jar, String(first.headers.location), 'ada');
  t.equal(login.headers.location, `${complete.pathname}${complete.search}`, 'after signing in, back to the device page with its code');
  const confirmation = await visit(auth.app, jar, String(login.headers.location));
  t.equal(confirmation.statusCode, 200);
  t.match(confirmation.body, 'Living-room TV', 'the client by name');
  t.match(confirmation.body, started.user_code, 'the code to compare with the device’s screen (RFC 8628 §5.4)');
  const done = await decide(auth.app, jar, confirmation.body, 'allow');
  t.equal(done.statusCode, 200);
  t.match(done.body, 'Device connected');

  const tokens = await polled;
  const access = decodeJwt(tokens.access_token);
  t.match(access, { sub: userId, client_id: 'tv', scope: 'openid profile', amr: ['pwd'] });
  t.equal(tokens.claims()?.sub, userId, 'an ID token, checked by openid-client');
  t.notOk(tokens.claims()?.sid, 'no sid: the device’s session is its own, not the browser’s sign-in');
  t.ok(tokens.refresh_token, 'a refresh token, as for any session');
  t.match(await introspection(auth.app, tokens.access_token), { active: true, sid: access.sid });
  const refreshed = await oidc.refreshTokenGrant(tv, tokens.refresh_token!);
  t.equal(decodeJwt(refreshed.access_token).sid, access.sid, 'the session refreshes');
  t.match(await auth.store.consents.get(userId, 'tv'), { scope: 'openid profile' }, 'a third-party device’s approval is a consent the person can withdraw');
  const again = await poll(auth.app, started.device_code);
  t.same([again.status, again.body.error], [400, 'invalid_grant'], 'the device code is spent');
  const events = auth.logs.records().filter((line) => line.event === 'device_approved');
  t.match(events, [{ user_id: userId, client_id: 'tv' }], 'device_approved audited');
});

t.test('polling (RFC 8628 §3.5): pending, slow_down growing the interval, access_denied, expired_token', async (t) => {
  const clock = testClock();
  const { app } = await buildTestApp(t, { clients: CLIENTS, clock, config: { resources: RESOURCES } });
  const jar = await signedInBrowser(app, 'bob');

  const started = await startDevice(app, { client_id: 'tv', scope: 'openid' });
  t.equal(started.status, 200);
  t.equal(started.headers['cache-control'], 'no-store');
  t.match(started.body, { interval: 5, expires_in: 600 });
  const { device_code: deviceCode, user_code: userCode } = started.body;
  const pending = await poll(app, deviceCode);
  t.same([pending.status, pending.body.error], [400, 'authorization_pending']);
  const tooSoon = await poll(app, deviceCode);
  t.same([tooSoon.status, tooSoon.body.error], [400, 'slow_down'], 'a poll within the interval');
  clock.advance(6);
  t.equal((await poll(app, deviceCode)).body.error, 'slow_down', 'the interval grew by five seconds: six is still too soon');
  clock.advance(16);
  t.equal((await poll(app, deviceCode)).body.error, 'authorization_pending', 'after the grown interval');
  const stolen = await poll(app, deviceCode, 'cli', { client_secret: CLI_SECRET });
  t.same([stolen.status, stolen.body.error], [400, 'invalid_grant'], 'another client’s poll: invalid_grant');

  const confirmation = await enterCode(app, jar, userCode.toLowerCase().replace('-', ' '));
  t.equal(confirmation.statusCode, 200, 'the code however typed');
  t.equal((await decide(app, jar, confirmation.body, 'deny')).statusCode, 200);
  clock.advance(20);
  const denied = await poll(app, deviceCode);
  t.same([denied.status, denied.body.error], [400, 'access_denied'], 'denied: access_denied, a 400 at the token endpoint');
  const twice = await decide(app, jar, confirmation.body, 'allow');
  t.equal(twice.statusCode, 400, 'a request answered once is not answered again');
  t.match(twice.body, 'no longer waiting');

  const expiring = await startDevice(app, { client_id: 'tv' });
  clock.advance(601);
  const expired = await poll(app, expiring.body.device_code);
  t.same([expired.status, expired.body.error], [400, 'expired_token']);
  t.equal((await enterCode(app, jar, expiring.body.user_code)).statusCode, 400, 'an expired code is not offered');
  for (const unknown of ['BCDFGHJK.secret', 'nonsense', `${deviceCode}x`]) t.equal((await poll(app, unknown)).body.error, 'invalid_grant', unknown);
});

t.test('device authorization requests a client may not make are refused; a first-party device for a resource', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { resources: RESOURCES } });
  const refusals: Array<[Record<string, string>, Record<string, string>, number, string]> = [
    [{ client_id: 'spa' }, {}, 400, 'unauthorized_client'],
    [{ client_id: 'tv', scope: 'admin' }, {}, 400, 'invalid_scope'],
    [{ client_id: 'tv', resource: MCP }, {}, 400, 'invalid_target'],
    [{ client_id: 'nobody' }, {}, 401, 'invalid_client'],
    [{}, { authorization: basicAuth('cli', 'wrong-secret-0123456789abcdefghijklmno') }, 401, 'invalid_client'],
  ];
  for (const [params, headers, status, error] of refusals) {
    const answer = await startDevice(app, params, headers);
    t.same([answer.status, answer.body.error], [status, error], JSON.stringify(params));
  }
  const cli = await startDevice(app, { scope: 'tools', resource: MCP }, { authorization: basicAuth('cli', CLI_SECRET) });
  t.equal(cli.status, 200, 'a confidential client authenticates; a resource it may ask for');

  // A first-party client with a resource: approved without a consent record, tokens for the resource alone.
  const jar = await signedInBrowser(app, 'cyd');
  const confirmation = await enterCode(app, jar, cli.body.user_code);
  t.match(confirmation.body, 'Tools', 'the resource by name');
  await decide(app, jar, confirmation.body, 'allow');
  const tokens = await tokenRequest(app, { grant_type: DEVICE_CODE, device_code: cli.body.device_code }, { authorization: basicAuth('cli', CLI_SECRET) });
  t.equal(tokens.status, 200);
  t.match(decodeJwt(tokens.body.access_token!), { aud: MCP, scope: 'tools' });
});

t.test('the device page: sign-in first, forms only from this service', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  const anonymous = await app.inject({ url: '/device?user_code=BCDF-GHJK' });
  t.equal(anonymous.statusCode, 302);
  t.equal(anonymous.headers.location, `/login?${new URLSearchParams({ return_to: '/device?user_code=BCDF-GHJK' })}`);
  const jar = await signedInBrowser(app, 'dee');
  const entry = await visit(app, jar, '/device');
  t.match(entry.body, 'name="user_code"');
  const foreign = form({ user_code: 'BCDF-GHJK', csrf: 'forged' });
  const refused = await app.inject({ method: 'POST', url: '/device', payload: foreign.payload, headers: { ...foreign.headers, cookie: jar.header() } });
  t.equal(refused.statusCode, 403, 'a form without this browser’s CSRF token');
  const started = await startDevice(app, { client_id: 'tv' });
  const confirmation = await enterCode(app, jar, started.body.user_code);
  const forged = form({ user_code: started.body.user_code, decision: 'allow', csrf: 'forged' });
  const decision = await app.inject({ method: 'POST', url: '/device/decision', payload: forged.payload, headers: { ...forged.headers, cookie: jar.header() } });
  t.equal(decision.statusCode, 403);
  t.equal((await poll(app, started.body.device_code)).body.error, 'authorization_pending', 'a forged decision approves nothing');
  t.match(String(confirmation.headers['content-security-policy']), /form-action 'self'(;|$)/, 'its forms post to this service alone');
});

t.test('a user code guessed (RFC 8628 §5.1): each code entered counts, per account and per address; past the limit even the right one waits', async (t) => {
  const { app, logs } = await buildTestApp(t, { clients: CLIENTS, config: { rateLimits: { ...GENEROUS_LIMITS, userCodePerAccount: 3, userCodePerIp: 6 } } });
  const started = await startDevice(app, { client_id: 'tv' });
  const mallory = await signedInBrowser(app, 'mallory');
  for (const guess of ['BCDF-GHJK', 'BCDF-GHJL', 'BCDF-GHJM']) {
    const answer = await enterCode(app, mallory, guess);
    t.equal(answer.statusCode, 400, `${guess}: not waiting`);
    t.match(answer.body, 'not waiting for an answer');
  }
  const limited = await enterCode(app, mallory, started.body.user_code);
  t.equal(limited.statusCode, 429, 'the account’s limit: the right code waits too');
  t.ok(Number(limited.headers['retry-after']) > 0);
  const bypass = await app.inject({ url: `/device?user_code=${started.body.user_code}`, headers: { cookie: mallory.header() } });
  t.equal(bypass.statusCode, 429, 'the link with the code counts the same');
  t.equal(logs.records().filter((line) => line.event === 'user_code_refused').length, 3, 'each wrong code audited');

  // Another account from the same address: the address's limit (6, five spent above) holds across accounts.
  const accomplice = await signedInBrowser(app, 'trudy');
  t.equal((await enterCode(app, accomplice, 'BCDF-GHJN')).statusCode, 400);
  t.equal((await enterCode(app, accomplice, 'BCDF-GHJP')).statusCode, 429, 'the address’s limit');
  t.equal((await poll(app, started.body.device_code)).body.error, 'authorization_pending', 'nobody approved the device');
});

t.test('MFA=required: a device is approved only after the person sets up and uses a second factor; its tokens say mfa', async (t) => {
  const issuer = 'http://localhost:3000';
  const { app } = await buildTestApp(t, { clients: CLIENTS, clock: realClock(), config: { issuer, mfaPolicy: 'required' } });
  const started = await startDevice(app, { client_id: 'tv', scope: 'openid' });
  const browser = await signedInBrowser(app, 'kai');
  const toAccount = await visit(app, browser, `/device?user_code=${started.body.user_code}`);
  t.equal(toAccount.headers.location, '/account', 'no approval before a second factor: to the account page');
  const authenticator = new SoftAuthenticator(issuer);
  await addPasskey(app, browser, authenticator, 'Laptop');
  const account = await visit(app, browser, '/account');
  const link = /<a href="([^"]+)">Continue to the application<\/a>/.exec(account.body)?.[1]?.replaceAll('&amp;', '&');
  t.equal(link, `/device?user_code=${started.body.user_code}`, 'the way back to the device');
  const stepUp = await visit(app, browser, link!);
  t.equal(stepUp.headers.location, '/login/second-step', 'the sign-in proved a password: the new factor is asked for');
  const step = await visit(app, browser, '/login/second-step');
  const csrf = csrfOf(step.body);
  const options = (await postJson(app, browser, '/login/second-step/passkey/options', { csrf })).json();
  const done = await postForm(app, browser, '/login/second-step/passkey', { csrf, credential: JSON.stringify(authenticator.get(options)) });
  t.equal(done.headers.location, link, 'back to the device page');
  const confirmation = await visit(app, browser, link!);
  t.equal(confirmation.statusCode, 200);
  await decide(app, browser, confirmation.body, 'allow');
  const tokens = await poll(app, started.body.device_code);
  t.same([decodeJwt(tokens.body.access_token!).acr, decodeJwt(tokens.body.id_token!).amr], ['mfa', ['pwd', 'hwk', 'mfa']]);
});
