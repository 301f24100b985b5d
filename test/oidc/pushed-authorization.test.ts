import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import t from 'tap';
import { hashClientSecret } from '../../src/clients/secret.js';
import { hashSecret } from '../../src/tokens/secret.js';
import { buildTestApp, form, testClock, type TestApp } from '../helpers/app.js';
import { basicAuth } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { allowConsent, authorizeUrl, CookieJar, pkce, register, signIn, SIGN_IN_CLIENTS, visit } from '../helpers/sign-in.js';

const PORTAL_SECRET = 'portal-secret-0123456789abcdefghijklmnopqr';
const PORTAL_REDIRECT = 'https://portal.example/cb';

/** `portal`: a confidential third-party client that must push its requests (RFC 9126 §6); `spa` and `wiki` need not. */
const CLIENTS = [
  ...SIGN_IN_CLIENTS,
  {
    client_id: 'portal',
    type: 'confidential',
    client_secret_hash: hashClientSecret(PORTAL_SECRET),
    grant_types: ['authorization_code'],
    scope: 'openid profile',
    redirect_uris: [PORTAL_REDIRECT],
    require_pushed_authorization_requests: true,
  },
];

/** Pushes an authorization request as `portal` (or another client, by its headers and params). */
async function push(
  app: TestApp['app'],
  params: Record<string, string>,
  headers: Record<string, string> = { authorization: basicAuth('portal', PORTAL_SECRET) },
) {
  const body = form(params);
  const response = await app.inject({ method: 'POST', url: '/oauth/par', payload: body.payload, headers: { ...body.headers, ...headers } });
  return { status: response.statusCode, body: response.json() as { request_uri: string; expires_in: number; error?: string }, headers: response.headers };
}

const portalRequest = (challenge: string) => ({
  response_type: 'code',
  redirect_uri: PORTAL_REDIRECT,
  scope: 'openid profile',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  state: 's-1',
});

t.test('PAR with openid-client: the browser carries client_id and request_uri alone; one code, once', async (t) => {
  const auth = await listenTestApp(t, { clients: CLIENTS });
  const { id: userId } = await register(auth.app, 'ada');
  const insecure = { execute: [oidc.allowInsecureRequests] };
  const portal = await oidc.discovery(new URL(auth.base), 'portal', undefined, oidc.ClientSecretBasic(PORTAL_SECRET), insecure);
  t.equal(portal.serverMetadata().pushed_authorization_request_endpoint, `${auth.base}/oauth/par`, 'discovery names the endpoint (RFC 9126 §5)');
  t.equal(portal.serverMetadata().require_pushed_authorization_requests, false, 'not required of every client');

  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  const url = await oidc.buildAuthorizationUrlWithPAR(portal, { ...portalRequest(challenge), state: 'st-42' });
  t.same([...url.searchParams.keys()].sort(), ['client_id', 'request_uri'], 'nothing of the request in the browser');
  t.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);

  const browser = new CookieJar();
  const authorize = `${url.pathname}${url.search}`;
  const toLogin = await visit(auth.app, browser, authorize);
  const signedIn = await signIn(auth.app, browser, String(toLogin.headers.location), 'ada');
  const back = String(signedIn.headers.location);
  t.match(back, /^\/oauth\/authorize\?/);
  t.match(new URL(back, auth.base).searchParams.get('request_uri'), url.searchParams.get('request_uri')!, 'back to the pushed request');
  const consent = await visit(auth.app, browser, back);
  t.equal(consent.statusCode, 200, 'a third-party client: the consent page');
  t.match(String(consent.headers['content-security-policy']), 'https://portal.example', 'its redirect origin, from the pushed request');
  const allowed = await allowConsent(auth.app, browser, consent.body, back);
  const callback = new URL(String(allowed.headers.location));
  t.equal(callback.origin + callback.pathname, PORTAL_REDIRECT);
  const tokens = await oidc.authorizationCodeGrant(portal, callback, { pkceCodeVerifier: verifier, expectedState: 'st-42' });
  t.match(decodeJwt(tokens.access_token), { sub: userId, client_id: 'portal' });
  t.equal(tokens.claims()?.sub, userId, 'the ID token, checked by openid-client');

  const replay = await visit(auth.app, browser, authorize);
  t.equal(replay.statusCode, 400, 'a request_uri used twice: refused (RFC 9126 §4)');
  t.match(replay.body, 'used already');
  t.notOk(replay.headers.location, 'and nothing sent to the client');
});

t.test('a pushed request is authoritative, bound to its client, short-lived; a client that must push cannot skip it', async (t) => {
  const clock = testClock();
  const { app, store } = await buildTestApp(t, { clients: CLIENTS, clock });
  await register(app, 'bob');
  const browser = new CookieJar();
  const login = await visit(app, browser, '/login');
  await signIn(app, browser, String(login.headers.location ?? '/login'), 'bob');
  // The person allowed portal before: this test is about the request, not the consent.
  await store.consents.grant((await store.users.findByUsernameKey('bob'))!.id, {
    clientId: 'portal',
    scope: 'openid profile',
    grantedAt: Math.floor(clock() / 1000),
  });

  const { challenge } = pkce();
  const pushed = await push(app, portalRequest(challenge));
  t.equal(pushed.status, 201);
  t.equal(pushed.body.expires_in, 90, 'short-lived: under FAPI 2.0’s 600 seconds');
  t.equal(pushed.headers['cache-control'], 'no-store');
  const secret = pushed.body.request_uri.slice('urn:ietf:params:oauth:request_uri:'.length);
  t.notMatch(JSON.stringify(await store.pushedRequests.get(hashSecret(secret))), PORTAL_SECRET, 'the client secret is never kept with it');

  // Parameters beside the request_uri are ignored: the pushed ones decide, so a changed redirect_uri goes nowhere.
  const tampered = `/oauth/authorize?${new URLSearchParams({ client_id: 'portal', request_uri: pushed.body.request_uri, redirect_uri: 'https://evil.example/cb', scope: 'openid', state: 'evil' })}`;
  const answer = await visit(app, browser, tampered);
  const location = new URL(String(answer.headers.location));
  t.equal(`${location.origin}${location.pathname}`, PORTAL_REDIRECT, 'to the pushed redirect URI');
  t.equal(location.searchParams.get('state'), 's-1', 'with the pushed state');
  t.ok(location.searchParams.get('code'));

  const other = await push(app, portalRequest(challenge));
  const stolen = await visit(app, browser, `/oauth/authorize?${new URLSearchParams({ client_id: 'spa', request_uri: other.body.request_uri })}`);
  t.equal(stolen.statusCode, 400, 'another client’s request_uri');
  const late = await push(app, portalRequest(challenge));
  clock.advance(91);
  const expired = await visit(app, browser, `/oauth/authorize?${new URLSearchParams({ client_id: 'portal', request_uri: late.body.request_uri })}`);
  t.equal(expired.statusCode, 400, 'past expires_in');
  const unpushed = await visit(app, browser, authorizeUrl({ client_id: 'portal', redirect_uri: PORTAL_REDIRECT, code_challenge: challenge, state: 'x' }));
  t.match(
    String(unpushed.headers.location),
    /^https:\/\/portal\.example\/cb\?error=invalid_request&error_description=this\+application\+must\+push/,
    'portal must push',
  );
  const spa = await visit(app, browser, authorizeUrl({ client_id: 'spa', redirect_uri: 'https://app.example/callback', code_challenge: challenge }));
  t.match(String(spa.headers.location), /[?&]code=/, 'other clients need not');
});

t.test('the PAR endpoint refuses what the authorization endpoint would, as JSON, and keeps nothing', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  const { challenge } = pkce();
  const refusals: Array<[Record<string, string>, Record<string, string> | undefined, number, string]> = [
    [portalRequest(challenge), { authorization: basicAuth('portal', 'wrong-secret-0123456789abcdefghijklmnopq') }, 401, 'invalid_client'],
    [{ ...portalRequest(challenge), redirect_uri: 'https://evil.example/cb' }, undefined, 400, 'invalid_request'],
    [{ ...portalRequest(challenge), code_challenge_method: 'plain' }, undefined, 400, 'invalid_request'],
    [{ ...portalRequest(challenge), scope: 'admin' }, undefined, 400, 'invalid_scope'],
    [{ ...portalRequest(challenge), response_type: 'token' }, undefined, 400, 'unsupported_response_type'],
    [{ ...portalRequest(challenge), request_uri: 'urn:ietf:params:oauth:request_uri:x' }, undefined, 400, 'invalid_request'],
    [{ ...portalRequest(challenge), request: 'eyJ...' }, undefined, 400, 'invalid_request'],
    [{ ...portalRequest(challenge), client_id: 'spa' }, undefined, 400, 'invalid_request'],
  ];
  for (const [params, headers, status, error] of refusals) {
    const answer = await push(app, params, headers);
    t.same([answer.status, answer.body.error], [status, error], JSON.stringify(params).slice(0, 120));
  }
  const publicClient = await push(
    app,
    { client_id: 'spa', response_type: 'code', redirect_uri: 'https://app.example/callback', code_challenge: challenge, code_challenge_method: 'S256' },
    {},
  );
  t.equal(publicClient.status, 201, 'a public client pushes with its client_id');
});

t.test('REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: every client must push; discovery says so', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { requirePushedAuthorizationRequests: true } });
  t.equal((await app.inject({ url: '/.well-known/oauth-authorization-server' })).json().require_pushed_authorization_requests, true);
  const answer = await visit(
    app,
    new CookieJar(),
    authorizeUrl({ client_id: 'spa', redirect_uri: 'https://app.example/callback', code_challenge: pkce().challenge }),
  );
  t.match(String(answer.headers.location), /error=invalid_request/);
});
