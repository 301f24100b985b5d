import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import t from 'tap';
import { hashClientSecret } from '../../src/clients/secret.js';
import { loadConfig } from '../../src/config.js';
import { isResourceIdentifier, parseResources } from '../../src/resources/protected-resource.js';
import { buildTestApp, form, type StoreKind } from '../helpers/app.js';
import { basicAuth } from '../helpers/clients.js';
import { refresh, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { allowConsent, authorizeUrl, CookieJar, pkce, register, signIn, visit } from '../helpers/sign-in.js';

const MCP = 'https://mcp.example/mcp';
const ORDERS = 'https://orders.example/api';
const AGENT_REDIRECT = 'http://127.0.0.1:8123/callback';
const SECRET = 'reports-secret-0123456789abcdefghijklmnop';

/** A third-party agent (RFC 8252 loopback redirect), a first-party app with two audiences of its own, a service. */
const CLIENTS = [
  {
    client_id: 'agent',
    type: 'public',
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid profile mcp:tools orders:read',
    redirect_uris: [AGENT_REDIRECT],
  },
  {
    client_id: 'app',
    type: 'public',
    grant_types: ['authorization_code', 'refresh_token', 'password'],
    scope: 'openid orders:read',
    audience: ['orders-api', 'audit-api'],
    redirect_uris: ['https://app.example/callback'],
    first_party: true,
  },
  {
    client_id: 'reports',
    type: 'confidential',
    client_secret_hash: hashClientSecret(SECRET),
    grant_types: ['client_credentials'],
    scope: 'orders:read mcp:tools',
  },
];

const OTHER_MCP = 'https://other-mcp.example/mcp';
const RESOURCES = parseResources([
  { resource: MCP, name: 'Example MCP', scopes: ['mcp:tools'], clients: '*' },
  { resource: OTHER_MCP, scopes: ['mcp:tools'], clients: '*' },
  { resource: ORDERS, scopes: ['orders:read'], clients: ['reports'] },
]);

t.test('resource identifiers and entries (RFC 8707 §2, RFC 9728 §1.2)', async (t) => {
  for (const good of [MCP, 'https://api.example', 'http://localhost:3000/mcp', 'http://127.0.0.1:9/x', 'http://[::1]:8080/'])
    t.ok(isResourceIdentifier(good), good);
  for (const bad of [
    'api',
    'https://api.example/#f',
    'https://api.example/?q=1',
    'http://api.example/',
    'ftp://x.example/',
    'https://u:p@api.example/',
    `https://a.example/${'x'.repeat(250)}`,
  ]) {
    t.notOk(isResourceIdentifier(bad), bad);
  }
  t.throws(() => parseResources([{ resource: 'http://api.example' }]), /entry 0 resource must be an https URL/);
  t.throws(() => parseResources([{ resource: MCP, scope: 'x' }]), /unknown fields: scope/);
  t.throws(() => parseResources([{ resource: MCP }, { resource: MCP }]), /appears twice/);
  t.throws(() => parseResources([{ resource: MCP, scopes: ['a b'] }]), /scopes/);
  t.throws(() => parseResources([{ resource: MCP, clients: 'agent' }]), /clients/);
  t.same(parseResources([{ resource: MCP }])[0], { identifier: MCP, name: undefined, scopes: undefined, clients: [], exchangedBy: [] });
});

const redis = await startRedis();
t.teardown(() => redis.close());

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`resource indicators on the code, refresh and client_credentials grants (${kind} store)`, async (t) => {
    const { app } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS, config: { resources: RESOURCES } });
    await register(app, 'ada');
    const jar = new CookieJar();
    const login = await visit(app, jar, authorizeUrl({ client_id: 'app', redirect_uri: 'https://app.example/callback', code_challenge: pkce().challenge }));
    await signIn(app, jar, login.headers.location as string, 'ada');

    /** An authorization request of the agent; answers the redirect (a code or an error) after Allow when asked. */
    const authorize = async (params: Record<string, string>, resource?: string | string[]) => {
      const { verifier, challenge } = pkce();
      const query = new URLSearchParams({
        response_type: 'code',
        code_challenge_method: 'S256',
        client_id: 'agent',
        redirect_uri: AGENT_REDIRECT,
        code_challenge: challenge,
        ...params,
      });
      for (const value of ([] as string[]).concat(resource ?? [])) query.append('resource', value);
      const request = `/oauth/authorize?${query}`;
      let answer = await visit(app, jar, request);
      const consent = answer.statusCode === 200 ? answer.body : undefined;
      if (consent !== undefined) answer = await allowConsent(app, jar, consent, request);
      return { location: new URL(String(answer.headers.location)), verifier, consent };
    };
    const redeem = (code: string, verifier: string, extra: Record<string, string> = {}) =>
      tokenRequest(app, { grant_type: 'authorization_code', client_id: 'agent', code, redirect_uri: AGENT_REDIRECT, code_verifier: verifier, ...extra });

    t.test('a code for a named resource: the consent page names it, the tokens are meant for it alone', async (t) => {
      const { location, verifier, consent } = await authorize({ scope: 'openid mcp:tools' }, MCP);
      t.match(consent, /at <strong>Example MCP<\/strong> <span class="note">\(https:\/\/mcp\.example\/mcp\)<\/span>/);
      const tokens = await redeem(location.searchParams.get('code')!, verifier);
      t.equal(tokens.status, 200, String(tokens.body.error_description));
      t.equal(decodeJwt(tokens.body.access_token!).aud, MCP, 'aud is the resource (RFC 8707 §2)');
      t.equal(tokens.body.scope, 'openid mcp:tools');

      const narrower = await refresh(app, tokens.body.refresh_token!, 'agent', { resource: ORDERS });
      t.same([narrower.status, narrower.body.error], [400, 'invalid_target'], 'a refresh never widens to another resource');
      const unknown = await refresh(app, tokens.body.refresh_token!, 'agent', { resource: 'orders-api' });
      t.equal(unknown.body.error, 'invalid_target');
      const same = await refresh(app, tokens.body.refresh_token!, 'agent', { resource: MCP });
      t.equal(same.status, 200, 'the refused refreshes spent nothing');
      t.equal(decodeJwt(same.body.access_token!).aud, MCP);
      const plain = await refresh(app, same.body.refresh_token!, 'agent');
      t.equal(decodeJwt(plain.body.access_token!).aud, MCP, 'the session keeps its resource');
      t.equal(plain.body.scope, 'openid mcp:tools');
    });

    t.test('a consent covers the resources the person was asked about, not another that takes the same scope', async (t) => {
      const again = await authorize({ scope: 'openid mcp:tools' }, MCP);
      t.equal(again.consent, undefined, 'allowed before: not asked again');
      t.ok(again.location.searchParams.has('code'));
      const other = await authorize({ scope: 'mcp:tools' }, OTHER_MCP);
      t.match(other.consent, /at <strong>https:\/\/other-mcp\.example\/mcp<\/strong>/, 'another resource is asked about');
      const account = await visit(app, jar, '/account');
      t.match(account.body, /at https:\/\/mcp\.example\/mcp, https:\/\/other-mcp\.example\/mcp/, 'the account page lists both');
    });

    t.test('the token request may not name another resource than the authorization request did', async (t) => {
      const { location, verifier } = await authorize({ scope: 'mcp:tools' }, MCP);
      const other = await redeem(location.searchParams.get('code')!, verifier, { resource: ORDERS });
      t.same([other.status, other.body.error], [400, 'invalid_target']);
    });

    t.test('refused at the authorization endpoint: unknown, not for this client, two at once, a scope the resource does not take', async (t) => {
      for (const [resource, error] of [
        ['https://unknown.example/api', 'invalid_target'],
        [ORDERS, 'invalid_target'],
        ['not a uri', 'invalid_target'],
        [[MCP, ORDERS], 'invalid_target'],
      ] as const) {
        const { location } = await authorize({ scope: 'mcp:tools', state: 's' }, resource as string | string[]);
        t.equal(location.searchParams.get('error'), error, String(resource));
        t.equal(location.searchParams.get('state'), 's');
        t.notOk(location.searchParams.has('code'));
      }
      const { location } = await authorize({ scope: 'mcp:tools orders:read' }, MCP);
      t.equal(location.searchParams.get('error'), 'invalid_scope', 'orders:read is not a scope the MCP server takes');
      const { location: defaulted, verifier } = await authorize({}, MCP);
      const tokens = await redeem(defaulted.searchParams.get('code')!, verifier);
      t.equal(tokens.body.scope, 'openid profile mcp:tools', "without a scope: the client's, as far as the resource takes them");
    });

    t.test('without a resource, the token request may narrow to one of the client’s own audiences, never to a registered resource', async (t) => {
      const request = (resource?: string) => authorize({ scope: 'openid mcp:tools' }, resource);
      const { location, verifier } = await request();
      const widened = await redeem(location.searchParams.get('code')!, verifier, { resource: MCP });
      t.same([widened.status, widened.body.error], [400, 'invalid_target'], 'the person was not asked about that resource');

      const { verifier: v2, challenge } = pkce();
      const appRequest = authorizeUrl({ client_id: 'app', redirect_uri: 'https://app.example/callback', code_challenge: challenge });
      const answer = await visit(app, jar, appRequest);
      const code = new URL(String(answer.headers.location)).searchParams.get('code')!;
      const narrowed = await tokenRequest(app, {
        grant_type: 'authorization_code',
        client_id: 'app',
        code,
        redirect_uri: 'https://app.example/callback',
        code_verifier: v2,
        resource: 'audit-api',
      });
      t.equal(decodeJwt(narrowed.body.access_token!).aud, 'audit-api');
      const refreshed = await refresh(app, narrowed.body.refresh_token!, 'app');
      t.equal(decodeJwt(refreshed.body.access_token!).aud, 'audit-api', 'the narrowing stays with the session');
      const back = await refresh(app, refreshed.body.refresh_token!, 'app', { resource: 'orders-api' });
      t.equal(back.body.error, 'invalid_target', 'and never widens back');

      const broad = await tokenRequest(app, { grant_type: 'password', client_id: 'app', username: 'ada', password: 'long enough' });
      t.same(decodeJwt(broad.body.access_token!).aud, ['orders-api', 'audit-api']);
      const one = await refresh(app, broad.body.refresh_token!, 'app', { resource: 'orders-api' });
      t.equal(decodeJwt(one.body.access_token!).aud, 'orders-api', 'a refresh narrows one access token');
      const again = await refresh(app, one.body.refresh_token!, 'app');
      t.same(decodeJwt(again.body.access_token!).aud, ['orders-api', 'audit-api'], 'while the session keeps its grant');
    });

    t.test('client_credentials: a registered resource the service may ask for, with the scopes it takes', async (t) => {
      const service = (params: Record<string, string>) =>
        tokenRequest(app, { grant_type: 'client_credentials', ...params }, { authorization: basicAuth('reports', SECRET) });
      const orders = await service({ resource: ORDERS });
      t.equal(decodeJwt(orders.body.access_token!).aud, ORDERS);
      t.equal(orders.body.scope, 'orders:read', 'the scopes of the client the resource takes');
      t.equal((await service({ resource: ORDERS, scope: 'mcp:tools' })).body.error, 'invalid_scope');
      t.equal((await service({ resource: MCP })).status, 200, 'a resource open to every client');
      t.equal((await service({ resource: 'https://unknown.example/api' })).body.error, 'invalid_target');
    });

    t.test('a token request naming two resources is invalid_target', async (t) => {
      const body = `${form({ grant_type: 'client_credentials' }).payload}&resource=${encodeURIComponent(ORDERS)}&resource=${encodeURIComponent(MCP)}`;
      const response = await app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('reports', SECRET) },
      });
      t.same([response.statusCode, response.json().error], [400, 'invalid_target']);
    });
  });
}

t.test('RESOURCES_FILE is read at start; a fault names the setting and the entry', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tokensmith-resources-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'resources.json');
  await writeFile(file, JSON.stringify([{ resource: MCP, name: 'Example MCP', scopes: ['mcp:tools'], clients: '*' }]));
  t.same(loadConfig({ RESOURCES_FILE: file }).resources, [{ identifier: MCP, name: 'Example MCP', scopes: ['mcp:tools'], clients: '*', exchangedBy: [] }]);
  t.same(loadConfig({}).resources, [], 'unset: none');
  await writeFile(file, JSON.stringify([{ resource: MCP }, { resource: 'https://api.example/#x' }]));
  t.throws(() => loadConfig({ RESOURCES_FILE: file }), { name: 'ConfigError', message: /RESOURCES_FILE.*entry 1 resource must be an https URL/ });
  await writeFile(file, '[{');
  t.throws(() => loadConfig({ RESOURCES_FILE: file }), { message: /RESOURCES_FILE.*cannot read .* as JSON/ });
});
