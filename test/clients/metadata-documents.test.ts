import { randomUUID } from 'node:crypto';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../../src/clients/client-assertion.js';
import t from 'tap';
import { isDocumentClientId } from '../../src/clients/registry.js';
import { loadConfig } from '../../src/config.js';
import { parseResources } from '../../src/resources/protected-resource.js';
import { buildTestApp, form, type Teardown, type TestAppOptions } from '../helpers/app.js';
import { documentHost, type DocumentHost } from '../helpers/metadata-documents.js';
import { tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { allowConsent, authorizeUrl, CookieJar, pkce, register, signIn, visit } from '../helpers/sign-in.js';

const MCP = 'https://mcp.example/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';
const RESOURCES = parseResources([{ resource: MCP, name: 'Example MCP', scopes: ['mcp:tools'], clients: '*' }]);

function documentOf(clientId: string, extra: Record<string, unknown> = {}) {
  return {
    client_id: clientId,
    client_name: 'Doc Agent',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid mcp:tools',
    ...extra,
  };
}

function settings(host: DocumentHost, overrides: Partial<{ enabled: boolean; allowLoopback: boolean }> = {}): TestAppOptions['config'] {
  return { resources: RESOURCES, clientMetadataDocuments: { enabled: true, allowLoopback: true, ca: host.ca, ...overrides } };
}

/** The code flow of a document client in a signed-in browser, up to the token response. */
async function codeFlow(t: Teardown, built: Awaited<ReturnType<typeof buildTestApp>>, clientId: string, jar: CookieJar) {
  const { verifier, challenge } = pkce();
  const request = `${authorizeUrl({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid mcp:tools' })}&resource=${encodeURIComponent(MCP)}`;
  let answer = await visit(built.app, jar, request);
  const consent = answer.statusCode === 200 ? answer.body : undefined;
  if (consent !== undefined) answer = await allowConsent(built.app, jar, consent, request);
  const code = new URL(String(answer.headers.location)).searchParams.get('code');
  if (code === null) throw new Error(`no code: ${answer.statusCode} ${String(answer.headers.location)} ${answer.body.slice(0, 300)}`);
  void t;
  const tokens = await tokenRequest(built.app, {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  return { tokens, consent };
}

t.test('what a document client_id is: an https URL with a path, nothing else', async (t) => {
  for (const good of ['https://agent.example/client.json', 'https://agent.example:8443/a/b', 'https://127.0.0.1:9/c']) t.ok(isDocumentClientId(good), good);
  for (const bad of [
    'http://agent.example/client.json',
    'https://agent.example',
    'https://agent.example/',
    'https://agent.example/a#f',
    'https://u:p@agent.example/a',
    'https://agent.example/a/../b',
    'web',
    `https://a.example/${'x'.repeat(250)}`,
  ]) {
    t.notOk(isDocumentClientId(bad), bad);
  }
  t.throws(
    () => loadConfig({ NODE_ENV: 'production', CLIENT_METADATA_ALLOW_LOOPBACK: 'true' }, 'command'),
    /CLIENT_METADATA_ALLOW_LOOPBACK: is for development/,
  );
  t.same(loadConfig({}).clientMetadataDocuments, { enabled: false, allowLoopback: false, ca: undefined }, 'off by default');
});

t.test('a client ID metadata document makes a public third-party client that signs people in', async (t) => {
  const host = await documentHost(t);
  const clientId = `${host.base}/agent/client.json`;
  host.serve('/agent/client.json', documentOf(clientId), { 'cache-control': 'public, max-age=120' });
  const built = await buildTestApp(t, { config: settings(host) });
  t.equal((await built.app.inject({ url: '/.well-known/oauth-authorization-server' })).json().client_id_metadata_document_supported, true);
  await register(built.app, 'ada');
  const jar = new CookieJar();
  const first = authorizeUrl({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge });
  await signIn(built.app, jar, (await visit(built.app, jar, first)).headers.location as string, 'ada');
  const { tokens, consent } = await codeFlow(t, built, clientId, jar);
  t.match(consent, /<strong>Doc Agent<\/strong> <span class="note">\(https:\/\/127\.0\.0\.1:\d+\/agent\/client\.json\)<\/span>/, 'its name beside its URL');
  t.equal(tokens.status, 200, String(tokens.body.error_description));
  t.match(decodeJwt(tokens.body.access_token!), { client_id: clientId, aud: MCP, scope: 'openid mcp:tools' });
  const refreshed = await tokenRequest(built.app, { grant_type: 'refresh_token', client_id: clientId, refresh_token: tokens.body.refresh_token! });
  t.equal(refreshed.status, 200);
  t.equal(host.requests.get('/agent/client.json'), 1, 'read once: the store keeps it as its Cache-Control says');
});

t.test('a document is refused when it is not one this service takes, and nothing is made', async (t) => {
  const host = await documentHost(t);
  const built = await buildTestApp(t, { config: settings(host) });
  const cases: Array<[string, unknown, Record<string, string>, number, RegExp]> = [
    ['/other-id.json', documentOf('https://elsewhere.example/client.json'), {}, 200, /another client_id than its own URL/],
    ['/secret.json', null, {}, 200, /holds a client secret/],
    ['/evil-redirect.json', null, {}, 200, /redirect URI http:\/\/evil\.example\/cb uses http/],
    ['/wide.json', null, {}, 200, /scope may name only/],
    ['/text.json', null, { 'content-type': 'text/plain' }, 200, /is not JSON \(its Content-Type\)/],
    ['/moved.json', '', { location: '/secret.json' }, 302, /redirect, which is not followed/],
    ['/broken.json', '{"client_id":', {}, 200, /is not valid JSON/],
    ['/big.json', null, {}, 200, /longer than 5120 bytes/],
  ];
  for (const [path, body, headers, status, reason] of cases) {
    const clientId = `${host.base}${path}`;
    const document =
      body ??
      (path === '/secret.json'
        ? documentOf(clientId, { client_secret: 'x' })
        : path === '/evil-redirect.json'
          ? documentOf(clientId, { redirect_uris: ['http://evil.example/cb'] })
          : path === '/wide.json'
            ? documentOf(clientId, { scope: 'admin' })
            : path === '/big.json'
              ? documentOf(clientId, { logo_uri: `https://logo.example/${'x'.repeat(6000)}` })
              : documentOf(clientId));
    host.serve(path, document, headers, status);
    const page = await visit(built.app, new CookieJar(), authorizeUrl({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
    t.equal(page.statusCode, 400, path);
    t.match(page.body, reason, `${path}: the page says why`);
    t.notOk(page.headers.location, 'never a redirect to an unchecked URI');
    const token = await tokenRequest(built.app, {
      grant_type: 'authorization_code',
      client_id: clientId,
      code: 'x',
      redirect_uri: REDIRECT,
      code_verifier: 'x'.repeat(43),
    });
    t.same([token.status, token.body.error], [401, 'invalid_client'], `${path}: the token endpoint refuses it`);
  }
});

t.test('off by default, and no loopback host without the development allowance', async (t) => {
  const host = await documentHost(t);
  const clientId = `${host.base}/agent/client.json`;
  host.serve('/agent/client.json', documentOf(clientId));
  const off = await buildTestApp(t, { config: { ...settings(host), clientMetadataDocuments: { enabled: false, allowLoopback: true, ca: host.ca } } });
  t.notOk('client_id_metadata_document_supported' in (await off.app.inject({ url: '/.well-known/oauth-authorization-server' })).json());
  const offPage = await visit(off.app, new CookieJar(), authorizeUrl({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
  t.match(offPage.body, /not registered with this service/);
  const strict = await buildTestApp(t, { config: settings(host, { allowLoopback: false }) });
  const page = await visit(strict.app, new CookieJar(), authorizeUrl({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
  t.equal(page.statusCode, 400);
  t.match(page.body, /127\.0\.0\.1 is an address the service does not connect to/);
  t.equal(host.requests.get('/agent/client.json'), undefined, 'neither service asked the host anything');
});

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('instances share what they read, and honour no-store (Redis)', async (t) => {
  const host = await documentHost(t);
  const cached = `${host.base}/cached/client.json`;
  const uncached = `${host.base}/uncached/client.json`;
  host.serve('/cached/client.json', documentOf(cached), { 'cache-control': 'max-age=600' });
  host.serve('/uncached/client.json', documentOf(uncached), { 'cache-control': 'no-store' });
  const prefix = `cimd-${Date.now()}:`;
  const a = await buildTestApp(t, { store: 'redis', redis, config: settings(host), shared: { prefix, keysDir: (await buildTestApp(t)).keysDir } });
  const b = await buildTestApp(t, { store: 'redis', redis, config: settings(host), shared: { prefix, keysDir: a.keysDir } });
  const ask = (built: typeof a, clientId: string) =>
    visit(built.app, new CookieJar(), authorizeUrl({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
  for (const built of [a, b]) t.equal((await ask(built, cached)).statusCode, 302);
  t.equal(host.requests.get('/cached/client.json'), 1, 'one read for both instances');
  for (const built of [a, b]) t.equal((await ask(built, uncached)).statusCode, 302);
  t.equal(host.requests.get('/uncached/client.json'), 2, 'no-store: each instance reads it itself');

  // A token of a document client is good at an instance that never read the document.
  await register(a.app, 'bea');
  const jar = new CookieJar();
  await signIn(a.app, jar, (await ask(a, cached)).headers.location as string, 'bea');
  const { tokens } = await codeFlow(t, a, cached, jar);
  const c = await buildTestApp(t, { store: 'redis', redis, config: settings(host), shared: { prefix, keysDir: a.keysDir } });
  const checked = await c.app.inject({
    url: `/forward-auth?aud=${encodeURIComponent(MCP)}&scope=mcp:tools`,
    headers: { authorization: `Bearer ${tokens.body.access_token}` },
  });
  t.equal(checked.statusCode, 200);
  t.equal(checked.headers['x-auth-client-id'], cached);
});

t.test('a document with its keys (private_key_jwt, jwks_uri) makes a confidential client that proves itself with them', async (t) => {
  const host = await documentHost(t);
  const clientId = `${host.base}/keyed/client.json`;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  host.serve('/keyed/jwks.json', { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256' }] });
  host.serve('/keyed/client.json', documentOf(clientId, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${host.base}/keyed/jwks.json` }));
  const built = await buildTestApp(t, { config: settings(host) });
  const assertion = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ iss: clientId, sub: clientId, aud: built.config.issuer, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 60, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .sign(privateKey);
  const push = async (credentials: Record<string, string>) => {
    const body = form({
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      ...credentials,
    });
    return built.app.inject({ method: 'POST', url: '/oauth/par', payload: body.payload, headers: body.headers });
  };
  const first = await push({ client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await assertion() });
  t.equal(first.statusCode, 201, `an assertion whose sub is the document's URL: the document and its keys are read (${first.body})`);
  t.equal(host.requests.get('/keyed/jwks.json'), 1, 'the keys come from its jwks_uri, through the same guard');
  const bare = await push({ client_id: clientId });
  t.equal(bare.statusCode, 401, 'its client_id alone is no authentication: it is confidential now');
  const { privateKey: otherKey } = await generateKeyPair('ES256', { extractable: true });
  const forged = await push({
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await new SignJWT({ iss: clientId, sub: clientId, aud: built.config.issuer, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: 'ES256', kid })
      .sign(otherKey),
  });
  t.equal(forged.statusCode, 401, 'an assertion signed with another key');

  await register(built.app, 'ada');
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' });
  await signIn(built.app, jar, (await visit(built.app, jar, request)).headers.location as string, 'ada');
  let answer = await visit(built.app, jar, request);
  if (answer.statusCode === 200) answer = await allowConsent(built.app, jar, answer.body, request);
  const code = new URL(String(answer.headers.location)).searchParams.get('code')!;
  const redeem = (extra: Record<string, string>) =>
    tokenRequest(built.app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...extra });
  t.equal((await redeem({ client_id: clientId })).status, 401, 'the code needs the client authenticated');
  const tokens = await redeem({ client_id: clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await assertion() });
  t.equal(tokens.status, 200, String(tokens.body.error_description));
  t.match(decodeJwt(tokens.body.access_token!), { client_id: clientId });
});
