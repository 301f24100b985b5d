import { randomBytes, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';
import t from 'tap';
import { accessTokenHash } from '@tokensmith/verifier/shared';
import { buildTestApp, form, keysDirWithKey, realClock, type TestApp } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { introspection, refresh, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { authorizeUrl, CookieJar, pkce, REDIRECT, register, signIn, SIGN_IN_CLIENTS, visit } from '../helpers/sign-in.js';

// DPoP (RFC 9449) at the token endpoint and at the service's own resources: tokens bound to the client's key, refresh
// tokens of public clients bound too, proofs checked for their method, URL, age, key and single use (across two
// instances on one Redis), server nonces, and a bound token refused when it is sent as a bearer token.

const redis = await startRedis();
t.teardown(() => redis.close());

const ISSUER = 'http://127.0.0.1:3000';
const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;

/** A DPoP key pair: the private key that signs proofs, and the public JWK a proof carries. */
async function dpopKey(alg: 'ES256' | 'PS256' | 'EdDSA' | 'RS256' = 'ES256'): Promise<{ privateKey: CryptoKey; jwk: JWK; jkt: string }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

type Key = Awaited<ReturnType<typeof dpopKey>>;

/** A DPoP proof (RFC 9449 §4.2) with the claims and header a test overrides. */
function proof(key: Key, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, alg = 'ES256'): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: TOKEN_ENDPOINT, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .sign(key.privateKey);
}

const WEB = SERVICE_CLIENTS[0]!;
const ORDERS = { authorization: basicAuth('orders-svc', SECRETS.orders) };

/** Registers ada and signs her in with the password grant of `web` (a public client), with a proof or not. */
async function adaTokens(app: TestApp['app'], headers: Record<string, string> = {}) {
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'ada', password: 'long enough' } });
  return tokenRequest(app, { grant_type: 'password', client_id: 'web', username: 'ada', password: 'long enough' }, headers);
}

t.test('openid-client with its DPoP handle: bound tokens, a bound refresh, introspection and the userinfo-style account API', async (t) => {
  const auth = await listenTestApp(t, { clients: [{ ...WEB, grant_types: ['password', 'refresh_token'] }, ...SERVICE_CLIENTS.slice(1)] });
  const insecure = { execute: [oidc.allowInsecureRequests] };
  const orders = await oidc.discovery(new URL(auth.base), 'orders-svc', SECRETS.orders, undefined, insecure);
  t.same(orders.serverMetadata().dpop_signing_alg_values_supported, ['ES256', 'PS256', 'Ed25519', 'EdDSA', 'RS256'], 'discovery lists the proof algorithms');
  const keyPair = await oidc.randomDPoPKeyPair('ES256');
  const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
  const DPoP = oidc.getDPoPHandle(orders, keyPair);
  const service = await oidc.clientCredentialsGrant(orders, { scope: 'orders:read' }, { DPoP });
  t.equal(service.token_type, 'dpop', 'token_type DPoP (openid-client lower-cases it)');
  t.same(decodeJwt(service.access_token).cnf, { jkt }, 'the access token is bound to the key (cnf.jkt, RFC 9449 §6.1)');
  const seen = await introspection(auth.app, service.access_token);
  t.match(seen, { active: true, token_type: 'DPoP', cnf: { jkt } }, 'introspection says the token is bound, and to what (§6.2)');

  await auth.app.inject({ method: 'POST', url: '/account/register', payload: { username: 'ada', password: 'long enough' } });
  const web = await oidc.discovery(new URL(auth.base), 'web', undefined, oidc.None(), insecure);
  const webKey = await oidc.randomDPoPKeyPair('ES256');
  const webDPoP = oidc.getDPoPHandle(web, webKey);
  const login = await oidc.genericGrantRequest(web, 'password', { username: 'ada', password: 'long enough', scope: 'profile' }, { DPoP: webDPoP });
  t.equal(login.token_type, 'dpop');
  const me = await oidc.fetchProtectedResource(web, login.access_token, new URL(`${auth.base}/account/me`), 'GET', undefined, undefined, { DPoP: webDPoP });
  t.equal(me.status, 200, 'the account API takes the token with its proof');
  t.equal(((await me.json()) as { username: string }).username, 'ada');
  const asBearer = await fetch(`${auth.base}/account/me`, { headers: { authorization: `Bearer ${login.access_token}` } });
  t.equal(asBearer.status, 401, 'the same token as a bearer token is refused (§7.2)');
  t.match(asBearer.headers.get('www-authenticate'), /^Bearer .*error="invalid_token"/);

  const refreshed = await oidc.refreshTokenGrant(web, login.refresh_token!, undefined, { DPoP: webDPoP });
  t.equal(refreshed.token_type, 'dpop', 'the bound refresh token refreshes with a proof of its key');
  const otherKey = oidc.getDPoPHandle(web, await oidc.randomDPoPKeyPair('ES256'));
  const stolen = await oidc.refreshTokenGrant(web, refreshed.refresh_token!, undefined, { DPoP: otherKey }).then(
    () => 'issued',
    (error: { error?: string }) => error.error,
  );
  t.equal(stolen, 'invalid_grant', 'another key cannot refresh it');
  const bare = await refresh(auth.app, refreshed.refresh_token!);
  t.equal(bare.body.error, 'invalid_grant', 'nor can a request without a proof');
  t.match(bare.body.error_description, /bound to a DPoP key/);
  const again = await oidc.refreshTokenGrant(web, refreshed.refresh_token!, undefined, { DPoP: webDPoP });
  t.ok(again.access_token, 'neither spent it: its holder refreshes on');
});

t.test('proofs at the token endpoint: each flaw is invalid_dpop_proof and issues nothing', async (t) => {
  const { app } = await buildTestApp(t, { clients: SERVICE_CLIENTS });
  const key = await dpopKey();
  const issue = async (dpop: string | string[] | undefined) => {
    const headers: Record<string, string> = { ...ORDERS };
    if (typeof dpop === 'string') headers.dpop = dpop;
    const response = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: 'grant_type=client_credentials',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', ...(Array.isArray(dpop) ? { dpop } : {}) },
    });
    return { status: response.statusCode, body: response.json() as Record<string, string> };
  };
  const good = await proof(key);
  const first = await issue(good);
  t.equal(first.status, 200);
  t.equal(first.body.token_type, 'DPoP');
  t.same(decodeJwt(first.body.access_token!).cnf, { jkt: key.jkt });
  const bearer = await issue(undefined);
  t.equal(bearer.body.token_type, 'Bearer', 'without a proof, a bearer token (DPoP is not required here)');
  t.notOk(decodeJwt(bearer.body.access_token!).cnf);

  const { privateKey: hmacless } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(hmacless);
  const now = Math.floor(Date.now() / 1000);
  const flawed: Array<[string, string | string[]]> = [
    ['replayed', good],
    ['for another URL', await proof(key, { htu: `${ISSUER}/oauth/par` })],
    ['for another method', await proof(key, { htm: 'GET' })],
    ['an hour old', await proof(key, { iat: now - 3600 })],
    ['from the future', await proof(key, { iat: now + 600 })],
    ['without a jti', await proof(key, { jti: undefined })],
    ['of another typ', await proof(key, {}, { typ: 'JWT' })],
    ['with a private key in its header', await proof(key, {}, { jwk: privateJwk })],
    ['signed by another key than its header names', await proof({ ...(await dpopKey()), jwk: key.jwk })],
    [
      'with a symmetric key',
      await new SignJWT({ htm: 'POST', htu: TOKEN_ENDPOINT, jti: randomUUID(), iat: now })
        .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as JWK })
        .sign(randomBytes(32)),
    ],
    ['not a JWT', 'not-a-jwt'],
    ['two proofs', [await proof(key), await proof(key)]],
  ];
  for (const [flaw, dpop] of flawed) {
    const refused = await issue(dpop);
    t.equal(refused.status, 400, flaw);
    t.equal(refused.body.error, 'invalid_dpop_proof', flaw);
    t.notOk(refused.body.access_token, `${flaw}: no token`);
  }
  const query = await issue(await proof(key, { htu: `${TOKEN_ENDPOINT}?x=1#frag` }));
  t.equal(query.status, 200, 'the htu is compared without its query and fragment (§4.3 item 9)');
  const upper = await issue(await proof(key, { htu: 'HTTP://127.0.0.1:3000/oauth/token' }));
  t.equal(upper.status, 200, 'and after normalization (RFC 3986 §6.2.2)');
  for (const alg of ['PS256', 'EdDSA', 'RS256'] as const) {
    const other = await dpopKey(alg);
    t.equal((await issue(await proof(other, {}, {}, alg))).status, 200, `${alg} proofs are taken`);
  }
});

t.test('a client or the service can require DPoP', async (t) => {
  const strict = { ...SERVICE_CLIENTS[1]!, client_id: 'strict-svc', dpop_bound_access_tokens: true };
  const { app } = await buildTestApp(t, { clients: [...SERVICE_CLIENTS, strict] });
  const headers = { authorization: basicAuth('strict-svc', SECRETS.orders) };
  const refused = await tokenRequest(app, { grant_type: 'client_credentials' }, headers);
  t.equal(refused.status, 400);
  t.equal(refused.body.error, 'invalid_dpop_proof');
  t.match(refused.body.error_description, /DPoP proof is required/);
  const key = await dpopKey();
  const issued = await tokenRequest(app, { grant_type: 'client_credentials' }, { ...headers, dpop: await proof(key) });
  t.equal(issued.body.token_type, 'DPoP');
  t.equal((await tokenRequest(app, { grant_type: 'client_credentials' }, ORDERS)).status, 200, 'another client still may go without');

  const everyone = await buildTestApp(t, { clients: SERVICE_CLIENTS, config: { requireDpop: true } });
  t.equal((await tokenRequest(everyone.app, { grant_type: 'client_credentials' }, ORDERS)).body.error, 'invalid_dpop_proof', 'REQUIRE_DPOP: every client');
  t.equal((await adaTokens(everyone.app)).body.error, 'invalid_dpop_proof', 'every grant');
  const web = await adaTokens(everyone.app, { dpop: await proof(key) });
  t.equal(web.body.token_type, 'DPoP');
});

t.test('server nonces (DPOP_NONCE_KEY): use_dpop_nonce with a nonce to retry with; an old nonce is refused', async (t) => {
  const clock = realClock();
  const { app } = await buildTestApp(t, { clients: SERVICE_CLIENTS, clock, config: { dpopNonceKey: randomBytes(32) } });
  const key = await dpopKey();
  const without = await tokenRequest(app, { grant_type: 'client_credentials' }, { ...ORDERS, dpop: await proof(key) });
  t.equal(without.status, 400);
  t.equal(without.body.error, 'use_dpop_nonce', 'RFC 9449 §8');
  const nonce = without.headers['dpop-nonce'] as string;
  t.match(nonce, /^[A-Za-z0-9_-]{32}$/);
  const withNonce = await tokenRequest(app, { grant_type: 'client_credentials' }, { ...ORDERS, dpop: await proof(key, { nonce }) });
  t.equal(withNonce.status, 200);
  t.ok(withNonce.headers['dpop-nonce'], 'a success hands out the current nonce too');
  t.equal(
    (await tokenRequest(app, { grant_type: 'client_credentials' }, { ...ORDERS, dpop: await proof(key, { nonce: 'made-up' }) })).body.error,
    'use_dpop_nonce',
  );
  clock.advance(5 * 60);
  const stale = await tokenRequest(
    app,
    { grant_type: 'client_credentials' },
    { ...ORDERS, dpop: await proof(key, { nonce, iat: Math.floor(clock() / 1000) }) },
  );
  t.equal(stale.body.error, 'use_dpop_nonce', 'a nonce five minutes old is refused');
  t.not(stale.headers['dpop-nonce'], nonce, 'and a new one is given');

  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS, config: { dpopNonceKey: randomBytes(32) } });
  const orders = await oidc.discovery(new URL(auth.base), 'orders-svc', SECRETS.orders, undefined, { execute: [oidc.allowInsecureRequests] });
  const DPoP = oidc.getDPoPHandle(orders, await oidc.randomDPoPKeyPair('ES256'));
  const first = await oidc.clientCredentialsGrant(orders, {}, { DPoP });
  t.equal(first.token_type, 'dpop', 'openid-client hears use_dpop_nonce, keeps the nonce and retries with it');
  const second = await oidc.clientCredentialsGrant(orders, {}, { DPoP });
  t.equal(second.token_type, 'dpop', 'and its next request carries the nonce it was given');
});

t.test('a proof is used once across two instances on one Redis', async (t) => {
  const clock = realClock();
  const shared = { prefix: redis.prefix(), keysDir: (await keysDirWithKey(t, clock)).dir };
  const a = await buildTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS, clock, shared });
  const b = await buildTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS, clock, shared });
  const key = await dpopKey();
  const once = await proof(key);
  t.equal((await tokenRequest(a.app, { grant_type: 'client_credentials' }, { ...ORDERS, dpop: once })).status, 200);
  const replayed = await tokenRequest(b.app, { grant_type: 'client_credentials' }, { ...ORDERS, dpop: once });
  t.equal(replayed.body.error, 'invalid_dpop_proof', 'the other instance refuses it');
  t.match(replayed.body.error_description, /used already/);

  const web = await adaTokens(a.app, { dpop: await proof(key) });
  t.equal(web.body.token_type, 'DPoP');
  const onB = await refresh(b.app, web.body.refresh_token!, 'web');
  t.equal(onB.body.error, 'invalid_grant', 'a bound refresh token without its proof is refused on either instance');
  const withProof = await tokenRequest(
    b.app,
    { grant_type: 'refresh_token', client_id: 'web', refresh_token: web.body.refresh_token! },
    { dpop: await proof(key) },
  );
  t.equal(withProof.status, 200, 'and refreshes with it');
  t.same(decodeJwt(withProof.body.access_token!).cnf, { jkt: key.jkt });
});

t.test('the ath of a proof at a resource is the hash of the token it comes with', async (t) => {
  t.equal(accessTokenHash('token'), 'PEaenWxYddN6Q_NT1PiOYfz4EsZu7jRXRlpAsNpBU-A', 'base64url(SHA-256(ASCII)) as RFC 9449 §4.2 says');
});

t.test('forward-auth: the proof names the original request as the gateway passes it; a bound token is never a bearer token', async (t) => {
  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const key = await dpopKey();
  const issued = await tokenRequest(
    auth.app,
    { grant_type: 'client_credentials', audience: 'orders-api' },
    { ...ORDERS, dpop: await proof(key, { htu: `${auth.base}/oauth/token` }) },
  );
  const token = issued.body.access_token!;
  const original = 'https://api.example/orders/7';
  const resourceProof = (claims: Record<string, unknown> = {}) => proof(key, { htm: 'GET', htu: original, ath: accessTokenHash(token), ...claims });
  // Traefik's ForwardAuth (and Caddy's forward_auth) send these of every request.
  const traefik = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example', 'x-forwarded-uri': '/orders/7?x=1' };
  const check = (headers: Record<string, string>, url = '/forward-auth?aud=orders-api') => auth.app.inject({ method: 'GET', url, headers });

  const allowed = await check({ ...traefik, authorization: `DPoP ${token}`, dpop: await resourceProof() });
  t.equal(allowed.statusCode, 200, allowed.body);
  t.equal(allowed.headers['x-auth-subject'], 'orders-svc');
  const envoy = await auth.app.inject({
    method: 'POST',
    url: '/forward-auth/orders/7',
    headers: {
      host: 'api.example',
      'x-forwarded-proto': 'https',
      'x-required-audience': 'orders-api',
      authorization: `DPoP ${token}`,
      dpop: await resourceProof({ htm: 'POST' }),
    },
  });
  t.equal(envoy.statusCode, 200, 'Envoy: the method and path are the request’s own');

  // The bound token, verified once above, is remembered: the fast lane must not take it as a bearer token either.
  for (const authorization of [`Bearer ${token}`, `bearer ${token}`]) {
    const stolen = await fetch(`${auth.base}/forward-auth?aud=orders-api`, { headers: { authorization } });
    t.equal(stolen.status, 401, `${authorization.split(' ')[0]}: a stolen bound token`);
    t.match(stolen.headers.get('www-authenticate'), /error="invalid_token"/);
  }
  const refusals: Array<[string, Record<string, string>, string]> = [
    ['no proof', { ...traefik, authorization: `DPoP ${token}` }, 'invalid_dpop_proof'],
    [
      'a proof for another path',
      { ...traefik, authorization: `DPoP ${token}`, dpop: await resourceProof({ htu: 'https://api.example/orders/8' }) },
      'invalid_dpop_proof',
    ],
    [
      'a proof for another host',
      { ...traefik, authorization: `DPoP ${token}`, dpop: await resourceProof({ htu: 'https://evil.example/orders/7' }) },
      'invalid_dpop_proof',
    ],
    [
      'a proof for another method',
      { ...traefik, 'x-forwarded-method': 'DELETE', authorization: `DPoP ${token}`, dpop: await resourceProof() },
      'invalid_dpop_proof',
    ],
    [
      'a proof by another key',
      { ...traefik, authorization: `DPoP ${token}`, dpop: await proof(await dpopKey(), { htm: 'GET', htu: original, ath: accessTokenHash(token) }) },
      'invalid_dpop_proof',
    ],
  ];
  for (const [what, headers, error] of refusals) {
    const refused = await check(headers);
    t.equal(refused.statusCode, 401, what);
    t.equal(refused.json().error, error, what);
    t.match(refused.headers['www-authenticate'], new RegExp(`^DPoP algs="[^"]+", error="${error}"`), `${what}: a DPoP challenge`);
  }
  const replay = await resourceProof();
  t.equal((await check({ ...traefik, authorization: `DPoP ${token}`, dpop: replay })).statusCode, 200);
  t.equal((await check({ ...traefik, authorization: `DPoP ${token}`, dpop: replay })).json().error, 'invalid_dpop_proof', 'a replayed proof');

  const unconfigured = await check({ authorization: `DPoP ${token}`, dpop: await resourceProof() });
  t.equal(unconfigured.statusCode, 400, 'a gateway that passes nothing of the original request fails closed, visibly');
  t.match(unconfigured.json().error_description, /X-Forwarded-Method/);

  const bearer = (await tokenRequest(auth.app, { grant_type: 'client_credentials', audience: 'orders-api' }, ORDERS)).body.access_token!;
  const unbound = await check({
    ...traefik,
    authorization: `DPoP ${bearer}`,
    dpop: await proof(key, { htm: 'GET', htu: original, ath: accessTokenHash(bearer) }),
  });
  t.equal(unbound.statusCode, 401, 'an unbound token sent as DPoP');
  t.match(unbound.headers['www-authenticate'], /^DPoP .*error="invalid_token"/);
  const scope = await check({ ...traefik, authorization: `DPoP ${token}`, dpop: await resourceProof() }, '/forward-auth?aud=orders-api&scope=admin');
  t.equal(scope.statusCode, 403);
  t.match(scope.headers['www-authenticate'], /^DPoP algs="[^"]+", error="insufficient_scope", scope="admin"/, 'insufficient_scope as a DPoP challenge');
});

t.test('a code bound to a key (dpop_jkt, RFC 9449 §10): in the request, or from the proof at PAR', async (t) => {
  const { app } = await buildTestApp(t, { clients: SIGN_IN_CLIENTS });
  await register(app, 'ada');
  const browser = new CookieJar();
  const key = await dpopKey();
  /** A code for `spa` through the signed-in browser, with the extra request parameters (or a request_uri); answers it with its verifier. */
  const codeFor = async (extra: Record<string, string>, verifier = pkce()) => {
    const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: verifier.challenge, scope: 'openid', ...extra });
    let answer = await visit(app, browser, request);
    if (answer.statusCode === 302 && String(answer.headers.location).startsWith('/login')) {
      answer = await signIn(app, browser, String(answer.headers.location), 'ada');
      answer = await visit(app, browser, String(answer.headers.location));
    }
    return { code: new URL(String(answer.headers.location)).searchParams.get('code')!, verifier: verifier.verifier };
  };
  const redeem = async ({ code, verifier }: { code: string; verifier: string }, dpop?: string) =>
    tokenRequest(
      app,
      { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier },
      dpop === undefined ? {} : { dpop },
    );

  const bound = await codeFor({ dpop_jkt: key.jkt });
  t.ok(bound.code, 'a code');
  const other = await redeem(bound, await proof(await dpopKey()));
  t.equal(other.body.error, 'invalid_grant', 'redeemed with a proof of another key');
  t.match(other.body.error_description, /dpop_jkt/);
  const again = await codeFor({ dpop_jkt: key.jkt });
  t.equal((await redeem(again)).body.error, 'invalid_grant', 'or with none');
  const right = await redeem(await codeFor({ dpop_jkt: key.jkt }), await proof(key));
  t.equal(right.body.token_type, 'DPoP', 'a proof of the named key redeems it');
  t.equal(
    (
      await visit(app, browser, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge, dpop_jkt: 'short' }))
    ).headers.location?.includes('error=invalid_request'),
    true,
    'a malformed dpop_jkt',
  );

  // PAR with a DPoP header (§10.1): the code is bound to the proof's key.
  const push = async (params: Record<string, string>, dpop?: string) => {
    const body = form({ client_id: 'spa', response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', code_challenge_method: 'S256', ...params });
    const response = await app.inject({
      method: 'POST',
      url: '/oauth/par',
      payload: body.payload,
      headers: { ...body.headers, ...(dpop === undefined ? {} : { dpop }) },
    });
    return response.json() as { request_uri?: string; error?: string };
  };
  const parProof = () => proof(key, { htu: `${ISSUER}/oauth/par` });
  const pair = pkce();
  const pushed = await push({ code_challenge: pair.challenge }, await parProof());
  const viaPar = await codeFor({ request_uri: pushed.request_uri! }, pair);
  t.equal((await redeem(viaPar, await proof(await dpopKey()))).body.error, 'invalid_grant', 'a code pushed with a proof: another key cannot redeem it');
  const pair2 = pkce();
  const pushed2 = await push({ code_challenge: pair2.challenge }, await parProof());
  t.equal((await redeem(await codeFor({ request_uri: pushed2.request_uri! }, pair2), await proof(key))).body.token_type, 'DPoP', 'the pushing key can');
  const mismatch = await push({ code_challenge: pkce().challenge, dpop_jkt: (await dpopKey()).jkt }, await parProof());
  t.equal(mismatch.error, 'invalid_dpop_proof', 'a dpop_jkt that is not the proof’s key (§10.1)');
  t.equal((await push({ code_challenge: pkce().challenge }, await proof(key))).error, 'invalid_dpop_proof', 'a proof for the token endpoint, not PAR');
});
