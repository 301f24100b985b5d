import Fastify from 'fastify';
import { createVerifier, VerifierError } from '@tokensmith/verifier';
import { fastifyVerifier, requireAuthentication } from '@tokensmith/verifier/fastify';
import { decodeJwt } from 'jose';
import t from 'tap';
import { buildTestApp, realClock, type StoreKind, type Teardown } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { refresh, registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { SoftAuthenticator } from '../helpers/passkey-authenticator.js';
import { addPasskey, passkeySignIn, registered } from '../helpers/passkeys.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { ACCOUNT_SPA, authorizeUrl, CookieJar, pkce, REDIRECT, visit } from '../helpers/sign-in.js';

// How a person signed in travels in the access tokens (RFC 9068 §2.2.1: auth_time, acr, amr), through every refresh,
// and the resources in front of which forward-auth or the verifier library stands demand it (RFC 9470 step-up).

const CLIENTS = [ACCOUNT_SPA, ...SERVICE_CLIENTS];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An app on http://localhost (passkeys need a domain), its tokens for a passkey user and a password user. */
async function setUp(t: Teardown, store: StoreKind) {
  const redis = store === 'redis' ? await startRedis() : undefined;
  if (redis) t.teardown(() => redis.close());
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const built = await buildTestApp(t, { store, ...(redis ? { redis } : {}), clients: CLIENTS, clock: realClock(), config: { issuer } });
  await built.app.listen({ port, host: '127.0.0.1' });
  const { app } = built;
  const authenticator = new SoftAuthenticator(issuer);
  await addPasskey(app, await registered(app, 'ida'), authenticator);
  const browser = new CookieJar();
  const { verifier, challenge } = pkce();
  const toLogin = await visit(app, browser, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' }));
  const signedIn = await passkeySignIn(app, browser, authenticator, String(toLogin.headers.location));
  const code = new URL(String((await visit(app, browser, String(signedIn.response.headers.location))).headers.location)).searchParams.get('code')!;
  const strong = (await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier })).body;
  const weak = await registerAndLogin(app, 'joe', 'spa');
  return { ...built, issuer, port, strong, weak };
}

for (const store of ['memory', 'redis'] as const) {
  t.test(`access tokens carry auth_time, acr and amr, and every refresh keeps them (${store})`, async (t) => {
    const { app, strong, weak } = await setUp(t, store);
    const now = Math.floor(Date.now() / 1000);
    const passkey = decodeJwt(strong.access_token!);
    t.same([passkey.acr, passkey.amr], ['mfa', ['hwk', 'mfa']], 'a passkey sign-in: two factors');
    t.ok(Math.abs(Number(passkey.auth_time) - now) <= 5, 'auth_time: when the person signed in');
    t.equal(passkey.auth_time, decodeJwt(strong.id_token!).auth_time, 'the ID token’s auth_time');
    await sleep(1100);
    const refreshed = await refresh(app, strong.refresh_token!, 'spa');
    const again = decodeJwt(refreshed.body.access_token!);
    t.same([again.acr, again.amr, again.auth_time], [passkey.acr, passkey.amr, passkey.auth_time], 'a refresh proves nothing new: the same');
    t.ok(again.iat! > passkey.iat!, 'a new token');
    const password = decodeJwt(weak.access_token!);
    t.same([password.acr, password.amr], ['pwd', ['pwd']], 'the password grant: a password alone');
    const service = await tokenRequest(
      app,
      { grant_type: 'client_credentials', audience: 'orders-api' },
      { authorization: basicAuth('orders-svc', SECRETS.orders) },
    );
    const own = decodeJwt(service.body.access_token!);
    t.notOk('acr' in own || 'amr' in own || 'auth_time' in own, 'a client’s own token: no person, no authentication claims');
  });
}

t.test('forward-auth demands a sign-in: 401 insufficient_user_authentication with acr_values and max_age (RFC 9470 §3)', async (t) => {
  const { app, strong, weak } = await setUp(t, 'memory');
  const check = (token: string, url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } });

  const refused = await check(weak.access_token!, '/forward-auth?acr=mfa');
  t.equal(refused.statusCode, 401);
  t.equal(
    refused.headers['www-authenticate'],
    'Bearer realm="tokensmith", error="insufficient_user_authentication", error_description="this resource needs a sign-in of class mfa", acr_values="mfa"',
  );
  t.same(refused.json(), { error: 'insufficient_user_authentication', error_description: 'this resource needs a sign-in of class mfa' });
  t.equal(refused.headers['x-auth-subject'], undefined, 'no identity for a refusal');
  t.equal((await check(strong.access_token!, '/forward-auth?acr=mfa')).statusCode, 200, 'a passkey sign-in meets mfa');
  t.equal((await check(weak.access_token!, '/forward-auth?acr=pwd')).statusCode, 200, 'a password meets pwd');
  t.equal((await check(strong.access_token!, '/forward-auth?acr=pwd&scope=openid')).statusCode, 200, 'mfa meets pwd, beside a scope');

  t.equal((await check(strong.access_token!, '/forward-auth?max_age=300')).statusCode, 200);
  await sleep(1100);
  const stale = await check(strong.access_token!, '/forward-auth?acr=mfa&max_age=0');
  t.equal(stale.statusCode, 401, 'a sign-in older than max_age');
  t.match(
    stale.headers['www-authenticate'],
    /error="insufficient_user_authentication", error_description="this resource needs a sign-in within the last 0 seconds", acr_values="mfa", max_age="0"$/,
  );

  // Behind a path (Envoy), the requirement comes in headers; a token this instance verified before (the fast lane)
  // must not slip past a header requirement.
  t.equal((await check(weak.access_token!, '/forward-auth/orders/7')).statusCode, 200, 'remembered');
  t.equal((await check(weak.access_token!, '/forward-auth/orders/7', { 'x-required-acr': 'mfa' })).statusCode, 401, 'X-Required-Acr');
  t.equal((await check(weak.access_token!, '/forward-auth?scope=openid')).statusCode, 200);
  t.equal(
    (await check(weak.access_token!, '/forward-auth?scope=openid', { 'x-required-acr': 'mfa' })).statusCode,
    401,
    'the header counts on /forward-auth too',
  );
  t.equal((await check(strong.access_token!, '/forward-auth/orders/7', { 'x-required-max-age': '0' })).statusCode, 401, 'X-Required-Max-Age');

  for (const [url, headers] of [
    ['/forward-auth?acr=gold', {}],
    ['/forward-auth?max_age=-1', {}],
    ['/forward-auth?max_age=soon', {}],
    ['/forward-auth/x', { 'x-required-acr': 'gold' }],
    ['/forward-auth/x', { 'x-required-max-age': '1e3' }],
  ] as const) {
    const bad = await check(strong.access_token!, url, headers);
    t.equal(bad.statusCode, 400, `${url} ${JSON.stringify(headers)}: a misconfigured gateway fails closed`);
  }
});

t.test('the verifier library and its Fastify plugin demand the same', async (t) => {
  const { issuer, port, strong, weak } = await setUp(t, 'memory');
  const verifier = createVerifier({ issuer, audience: 'api', jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` });
  t.teardown(() => verifier.close());
  const verified = await verifier.verify(strong.access_token!, { authentication: { acr: 'mfa', maxAge: 300 } });
  t.same([verified.acr, verified.amr], ['mfa', ['hwk', 'mfa']]);
  t.type(verified.authTime, 'number');
  const refusal = await verifier.verify(weak.access_token!, { authentication: { acr: 'mfa' } }).catch((error: unknown) => error);
  t.ok(refusal instanceof VerifierError);
  t.match(refusal, { code: 'insufficient_user_authentication', requirement: { acr: 'mfa' } });
  t.equal((await verifier.verify(weak.access_token!)).acr, 'pwd', 'no requirement: any sign-in');
  await t.rejects(verifier.verify(strong.access_token!, { authentication: { acr: 'gold' as 'mfa' } }), TypeError, 'a misspelled acr is a bug, not a pass');

  const api = Fastify();
  t.teardown(() => api.close());
  await api.register(async (scope) => {
    await scope.register(fastifyVerifier, { verifier, realm: 'payments' });
    scope.get('/transfer', { preHandler: requireAuthentication({ acr: 'mfa', maxAge: 600 }) }, async (request) => ({ by: request.auth!.sub }));
  });
  const call = (token: string) => api.inject({ url: '/transfer', headers: { authorization: `Bearer ${token}` } });
  const weakCall = await call(weak.access_token!);
  t.equal(weakCall.statusCode, 401);
  t.equal(
    weakCall.headers['www-authenticate'],
    'Bearer realm="payments", error="insufficient_user_authentication", error_description="this resource needs a sign-in of class mfa", acr_values="mfa", max_age="600"',
  );
  t.equal(weakCall.json().error, 'insufficient_user_authentication');
  t.equal((await call(strong.access_token!)).statusCode, 200);
  t.throws(() => requireAuthentication({ maxAge: 1.5 }), TypeError);
});
