import { randomUUID } from 'node:crypto';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import t from 'tap';
import { hashClientSecret } from '../../src/clients/secret.js';
import { parseResources } from '../../src/resources/protected-resource.js';
import { buildTestApp, GENEROUS_LIMITS, testClock, type Teardown, type TestAppOptions } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { introspection, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { allowConsent, authorizeUrl, CookieJar, pkce, register, signIn, visit } from '../helpers/sign-in.js';

const MCP = 'https://mcp.example/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';
const REGISTRAR_SECRET = 'registrar-secret-0123456789abcdefghijklmnop';
const CLIENTS = [
  ...SERVICE_CLIENTS,
  {
    client_id: 'registrar',
    type: 'confidential',
    client_secret_hash: hashClientSecret(REGISTRAR_SECRET),
    grant_types: ['client_credentials'],
    scope: 'client_registration',
  },
];
const RESOURCES = parseResources([
  { resource: MCP, name: 'Example MCP', scopes: ['mcp:tools'], clients: '*' },
  { resource: 'https://internal.example/api', scopes: ['internal:admin'], clients: ['orders-svc'] },
]);
const AGENT = { client_name: 'Agent', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid mcp:tools' };

async function app(t: Teardown, policy: 'closed' | 'open' | 'initial-access-token', options: TestAppOptions = {}) {
  const config = testSettings(policy, options.config);
  return buildTestApp(t, { clients: CLIENTS, ...options, config });
}

function testSettings(policy: 'closed' | 'open' | 'initial-access-token', config: TestAppOptions['config'] = {}) {
  return { resources: RESOURCES, clientRegistration: { policy, maxClients: 1000, idleTtl: 7_776_000 }, ...config };
}

type Built = Awaited<ReturnType<typeof buildTestApp>>;
const registerClient = (built: Built, body: unknown, headers: Record<string, string> = {}) =>
  built.app.inject({ method: 'POST', url: '/oauth/register', payload: body as object, headers });
const manage = (built: Built, method: 'GET' | 'PUT' | 'DELETE', clientId: string, token: string, body?: object) =>
  built.app.inject({ method, url: `/oauth/register/${clientId}`, headers: { authorization: `Bearer ${token}` }, ...(body ? { payload: body } : {}) });

t.test('closed (the default): no endpoint, nothing in discovery', async (t) => {
  const built = await app(t, 'closed');
  t.equal((await registerClient(built, AGENT)).statusCode, 404);
  t.notOk('registration_endpoint' in (await built.app.inject({ url: '/.well-known/oauth-authorization-server' })).json());
});

t.test('open registration (RFC 7591): a public third-party client that signs people in for a resource', async (t) => {
  const built = await app(t, 'open');
  const metadata = (await built.app.inject({ url: '/.well-known/oauth-authorization-server' })).json();
  t.equal(metadata.registration_endpoint, `${built.config.issuer}/oauth/register`);
  t.notOk(metadata.scopes_supported.includes('client_registration'), 'a privileged scope is not advertised');

  const answer = await registerClient(built, { ...AGENT, software_id: 'ignored', jwks_uri_unknown: 'x' });
  t.equal(answer.statusCode, 201);
  t.equal(answer.headers['cache-control'], 'no-store');
  const registered = answer.json();
  t.match(registered, {
    client_id: /^[\w-]{22}$/,
    client_id_issued_at: Number,
    registration_access_token: /^[\w-]{43}$/,
    registration_client_uri: `${built.config.issuer}/oauth/register/${registered.client_id}`,
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid mcp:tools',
    client_name: 'Agent',
  });
  t.notOk('client_secret' in registered, 'a public client');
  t.notOk('software_id' in registered, 'fields it does not understand are ignored (RFC 7591 §2)');
  t.notMatch(JSON.stringify(built.logs.lines), registered.registration_access_token, 'the token is in no log line');
  t.ok(built.logs.records().some((line) => line.event === 'client_registered' && line.client_id === registered.client_id));

  await register(built.app, 'ada');
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const request = `${authorizeUrl({ client_id: registered.client_id, redirect_uri: REDIRECT.replace('8765', '9999'), code_challenge: challenge, scope: 'openid mcp:tools' })}&resource=${encodeURIComponent(MCP)}`;
  const toLogin = await visit(built.app, jar, request);
  await signIn(built.app, jar, toLogin.headers.location as string, 'ada');
  const consent = await visit(built.app, jar, request);
  t.equal(consent.statusCode, 200, 'a third-party client: consent is asked');
  t.match(consent.body, /<strong>Agent<\/strong> <span class="note">\([\w-]+\)<\/span>/, 'its name beside its client_id');
  const back = new URL(String((await allowConsent(built.app, jar, consent.body, request)).headers.location));
  t.equal(back.port, '9999', 'a loopback redirect URI takes any port (RFC 8252 §7.3)');
  const tokens = await tokenRequest(built.app, {
    grant_type: 'authorization_code',
    client_id: registered.client_id,
    code: back.searchParams.get('code')!,
    redirect_uri: REDIRECT.replace('8765', '9999'),
    code_verifier: verifier,
  });
  t.equal(decodeJwt(tokens.body.access_token!).aud, MCP);
  const elsewhere = await tokenRequest(built.app, {
    grant_type: 'refresh_token',
    client_id: registered.client_id,
    refresh_token: tokens.body.refresh_token!,
    resource: built.config.issuer,
  });
  t.equal(elsewhere.body.error, 'invalid_target', 'a session for a resource is not widened to its own audience');
  const plain = await tokenRequest(built.app, { grant_type: 'refresh_token', client_id: registered.client_id, refresh_token: tokens.body.refresh_token! });
  t.equal(decodeJwt(plain.body.access_token!).aud, MCP, 'the session keeps its resource');

  const { verifier: v2, challenge: c2 } = pkce();
  const withoutResource = authorizeUrl({ client_id: registered.client_id, redirect_uri: REDIRECT, code_challenge: c2, scope: 'openid' });
  let answer2 = await visit(built.app, jar, withoutResource);
  if (answer2.statusCode === 200) answer2 = await allowConsent(built.app, jar, answer2.body, withoutResource);
  const code2 = new URL(String(answer2.headers.location)).searchParams.get('code')!;
  const own = await tokenRequest(built.app, {
    grant_type: 'authorization_code',
    client_id: registered.client_id,
    code: code2,
    redirect_uri: REDIRECT,
    code_verifier: v2,
  });
  t.equal(decodeJwt(own.body.access_token!).aud, built.config.issuer, "without a resource: tokens for this service, never the APIs' default audience");
});

t.test('open registration refuses what it does not make', async (t) => {
  const built = await app(t, 'open');
  const refusals: Array<[unknown, string]> = [
    [{ ...AGENT, token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
    [{ ...AGENT, token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
    [{ ...AGENT, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } }, 'invalid_client_metadata'],
    [{ ...AGENT, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', d: 'private' }] } }, 'invalid_client_metadata'],
    [{ ...AGENT, redirect_uris: ['http://agent.example/callback'] }, 'invalid_redirect_uri'],
    [{ ...AGENT, redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
    [{ ...AGENT, redirect_uris: ['https://agent.example/cb#frag'] }, 'invalid_redirect_uri'],
    [{ ...AGENT, redirect_uris: [] }, 'invalid_redirect_uri'],
    [{ ...AGENT, redirect_uris: undefined }, 'invalid_redirect_uri'],
    [{ ...AGENT, grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
    [{ ...AGENT, grant_types: ['authorization_code', 'password'] }, 'invalid_client_metadata'],
    [{ ...AGENT, response_types: ['token'] }, 'invalid_client_metadata'],
    [{ ...AGENT, scope: 'internal:admin' }, 'invalid_client_metadata'],
    [{ ...AGENT, scope: 'admin' }, 'invalid_client_metadata'],
    [{ ...AGENT, logo_uri: 'javascript:alert(1)' }, 'invalid_client_metadata'],
    [{ ...AGENT, client_name: 'x'.repeat(101) }, 'invalid_client_metadata'],
  ];
  for (const [body, error] of refusals) {
    const answer = await registerClient(built, body);
    t.same([answer.statusCode, answer.json().error], [400, error], JSON.stringify(body).slice(0, 120));
  }
  t.equal((await registerClient(built, [AGENT])).json().error, 'invalid_request', 'not an object: the schema refuses it');
  const { clients } = await built.store.clients.all();
  t.equal(clients.length, 0, 'nothing was stored');
  const defaulted = (await registerClient(built, { redirect_uris: [REDIRECT] })).json();
  t.match(
    defaulted,
    { token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], scope: 'openid profile email mcp:tools' },
    'RFC 7591 §3.2.1: the values it chose',
  );
});

t.test('client management (RFC 7592): read, replace and delete with the registration access token', async (t) => {
  const built = await app(t, 'open');
  const first = (await registerClient(built, AGENT)).json();
  const other = (await registerClient(built, AGENT)).json();

  const read = await manage(built, 'GET', first.client_id, first.registration_access_token);
  t.equal(read.statusCode, 200);
  t.equal(read.headers['cache-control'], 'no-store');
  const { registration_access_token: _token, ...withoutToken } = first;
  t.same(read.json(), withoutToken, 'the registration, never the token again');
  for (const [clientId, token] of [
    [first.client_id, other.registration_access_token],
    [first.client_id, 'x'.repeat(43)],
    ['nobody', first.registration_access_token],
  ]) {
    const refused = await manage(built, 'GET', clientId!, token!);
    t.same([refused.statusCode, refused.json().error], [401, 'invalid_token'], 'another client’s token, a wrong one, an unknown client: one answer');
  }
  t.equal((await built.app.inject({ url: `/oauth/register/${first.client_id}` })).statusCode, 401, 'no token');
  const operators = await built.app.inject({ url: '/oauth/register/orders-svc', headers: { authorization: `Bearer ${first.registration_access_token}` } });
  t.equal(operators.statusCode, 401, "an operator's client is not managed here");

  const renamed = await manage(built, 'PUT', first.client_id, first.registration_access_token, {
    ...AGENT,
    client_id: first.client_id,
    client_name: 'Agent Two',
  });
  t.equal(renamed.statusCode, 200);
  t.equal(renamed.json().client_name, 'Agent Two');
  t.equal(renamed.json().client_id, first.client_id);
  const noId = await manage(built, 'PUT', first.client_id, first.registration_access_token, { ...AGENT });
  t.equal(noId.json().error, 'invalid_request', 'the request names the client it changes');
  const widened = await manage(built, 'PUT', first.client_id, first.registration_access_token, {
    ...AGENT,
    client_id: first.client_id,
    scope: 'internal:admin',
  });
  t.equal(widened.json().error, 'invalid_client_metadata');
  t.equal((await manage(built, 'GET', first.client_id, first.registration_access_token)).json().client_name, 'Agent Two', 'the refused change changed nothing');

  await register(built.app, 'bea');
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: first.client_id, redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' });
  await signIn(built.app, jar, (await visit(built.app, jar, request)).headers.location as string, 'bea');
  const consent = await visit(built.app, jar, request);
  t.match(consent.body, /Agent Two/, 'the consent page shows the new name');
  const code = new URL(String((await allowConsent(built.app, jar, consent.body, request)).headers.location)).searchParams.get('code')!;
  const tokens = await tokenRequest(built.app, {
    grant_type: 'authorization_code',
    client_id: first.client_id,
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  t.equal(tokens.status, 200);

  const deleted = await manage(built, 'DELETE', first.client_id, first.registration_access_token);
  t.equal(deleted.statusCode, 204);
  t.equal((await manage(built, 'GET', first.client_id, first.registration_access_token)).statusCode, 401, 'gone, and its token with it');
  t.equal((await introspection(built.app, tokens.body.access_token!)).active, false, 'its tokens are refused at once');
  const refreshed = await tokenRequest(built.app, { grant_type: 'refresh_token', client_id: first.client_id, refresh_token: tokens.body.refresh_token! });
  t.equal(refreshed.status, 401, 'and it is no client any more');
  t.ok(built.logs.records().some((line) => line.event === 'client_registration_deleted' && line.client_id === first.client_id));
});

t.test('initial-access-token: a client_credentials token with client_registration, and then confidential clients', async (t) => {
  const built = await app(t, 'initial-access-token');
  t.same([(await registerClient(built, AGENT)).statusCode, (await registerClient(built, AGENT)).json().error], [401, 'invalid_token']);
  const ordinary = (await tokenRequest(built.app, { grant_type: 'client_credentials' }, { authorization: basicAuth('orders-svc', SECRETS.orders) })).body
    .access_token!;
  t.equal((await registerClient(built, AGENT, { authorization: `Bearer ${ordinary}` })).statusCode, 401, 'a token without the scope');
  const initial = (await tokenRequest(built.app, { grant_type: 'client_credentials' }, { authorization: basicAuth('registrar', REGISTRAR_SECRET) })).body
    .access_token!;
  const answer = await registerClient(built, { ...AGENT, token_endpoint_auth_method: 'client_secret_basic' }, { authorization: `Bearer ${initial}` });
  t.equal(answer.statusCode, 201);
  const registered = answer.json();
  t.match(registered, { token_endpoint_auth_method: 'client_secret_basic', client_secret: /^[\w-]{43}$/, client_secret_expires_at: 0 });
  const revoke = (secret: string) =>
    built.app.inject({ method: 'POST', url: '/oauth/revoke', payload: { token: 'x' }, headers: { authorization: basicAuth(registered.client_id, secret) } });
  t.equal((await revoke(registered.client_secret)).statusCode, 200, 'its secret authenticates it');
  t.equal((await revoke('wrong')).statusCode, 401);
  t.notOk('client_secret' in (await manage(built, 'GET', registered.client_id, registered.registration_access_token)).json(), 'the secret is shown once');
  const { clients } = await built.store.clients.all();
  t.notMatch(JSON.stringify(clients), registered.client_secret, 'stored hashed');
  t.notMatch(JSON.stringify(clients), registered.registration_access_token, 'the registration access token too');
});

t.test('open registration makes private_key_jwt clients (RFC 7523): keys, no secret; the assertion is the proof', async (t) => {
  const built = await app(t, 'open');
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'agent-1' };
  const answer = await registerClient(built, { ...AGENT, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
  t.equal(answer.statusCode, 201, answer.body);
  const registered = answer.json();
  t.equal(registered.token_endpoint_auth_method, 'private_key_jwt');
  t.notOk('client_secret' in registered, 'no secret is made');
  t.same(registered.jwks, { keys: [jwk] }, 'the keys are echoed (RFC 7591 §3.2.1)');
  const now = Math.floor(Date.now() / 1000);
  const signed = (key: typeof privateKey) =>
    new SignJWT({ iss: registered.client_id, sub: registered.client_id, aud: built.config.issuer, jti: randomUUID(), exp: now + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: 'agent-1' })
      .sign(key);
  const redeem = async (clientAssertion: string) =>
    tokenRequest(built.app, {
      grant_type: 'authorization_code',
      code: 'unknown',
      redirect_uri: REDIRECT,
      code_verifier: 'v'.repeat(43),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    });
  t.equal((await redeem(await signed(privateKey))).body.error, 'invalid_grant', 'authenticated by its assertion (the code is what fails)');
  const stranger = (await generateKeyPair('ES256', { extractable: true })).privateKey;
  t.equal((await redeem(await signed(stranger))).status, 401, 'another key: invalid_client');
  const publicTry = await tokenRequest(built.app, {
    grant_type: 'authorization_code',
    client_id: registered.client_id,
    code: 'x',
    redirect_uri: REDIRECT,
    code_verifier: 'v'.repeat(43),
  });
  t.equal(publicTry.status, 401, 'its client_id alone proves nothing');
});

t.test('registration floods: per-IP limit, and a ceiling on how many clients are held', async (t) => {
  const limited = await app(t, 'open', { config: { ...testSettings('open'), rateLimits: { ...GENEROUS_LIMITS, clientRegistrationPerIp: 3 } } });
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await registerClient(limited, AGENT)).statusCode);
  t.same(statuses, [201, 201, 201, 429, 429]);
  const capped = await app(t, 'open', { config: testSettings('open', { clientRegistration: { policy: 'open', maxClients: 2, idleTtl: 7_776_000 } }) });
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await registerClient(capped, AGENT));
  t.same(
    answers.map((answer) => answer.statusCode),
    [201, 201, 503],
  );
  t.equal(answers[2]!.json().error, 'temporarily_unavailable');
});

t.test('self-registered clients expire unused; each use renews them; the expired free their place under the ceiling', async (t) => {
  const clock = testClock();
  const idle = { clientRegistration: { policy: 'open' as const, maxClients: 2, idleTtl: 3600 } };
  const built = await app(t, 'open', { clock, config: testSettings('open', idle) });
  const unused = (await registerClient(built, AGENT)).json();
  const used = (await registerClient(built, AGENT)).json();
  // Any request the client authenticates is a use: here a code it does not have (invalid_grant, but the client is known).
  const use = () =>
    tokenRequest(built.app, { grant_type: 'authorization_code', client_id: used.client_id, code: 'x', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43) });
  t.equal((await use()).body.error, 'invalid_grant');
  clock.advance(3000);
  await use();
  clock.advance(700);
  t.equal((await registerClient(built, AGENT)).statusCode, 201, 'the ceiling of two: the one unused for an hour made room');
  t.equal((await manage(built, 'GET', unused.client_id, unused.registration_access_token)).statusCode, 401, 'the unused client is gone');
  const gone = await tokenRequest(built.app, {
    grant_type: 'authorization_code',
    client_id: unused.client_id,
    code: 'x',
    redirect_uri: REDIRECT,
    code_verifier: 'v'.repeat(43),
  });
  t.equal(gone.body.error, 'invalid_client');
  t.equal((await manage(built, 'GET', used.client_id, used.registration_access_token)).statusCode, 200, 'the used one lives on');
  const expired = built.logs.records().filter((line) => line.event === 'client_registration_expired');
  t.same(
    expired.map((line) => line.client_id),
    [unused.client_id],
    'client_registration_expired audited, once',
  );
  clock.advance(3700);
  t.equal((await registerClient(built, AGENT)).statusCode, 201);
  t.equal((await manage(built, 'GET', used.client_id, used.registration_access_token)).statusCode, 401, 'an hour since its last use: gone too');
});

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('a client registered at one instance signs in at another at once (Redis)', async (t) => {
  const prefix = `dcr-${Date.now()}:`;
  const a = await app(t, 'open', { store: 'redis', redis });
  const b = await buildTestApp(t, { store: 'redis', redis, clients: CLIENTS, config: testSettings('open'), shared: { prefix, keysDir: a.keysDir } });
  const a2 = await buildTestApp(t, { store: 'redis', redis, clients: CLIENTS, config: testSettings('open'), shared: { prefix, keysDir: a.keysDir } });
  const registered = (await registerClient(a2, AGENT)).json();
  const request = authorizeUrl({ client_id: registered.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge });
  const answer = await visit(b.app, new CookieJar(), request);
  t.equal(answer.statusCode, 302, 'B knows the client');
  t.match(answer.headers.location, /^\/login\?/);
  t.equal((await manage(b, 'GET', registered.client_id, registered.registration_access_token)).statusCode, 200, 'and its registration');
});
