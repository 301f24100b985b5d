import { createVerifier } from '@tokensmith/verifier';
import { fastifyResourceMetadata, fastifyVerifier, requireAuthentication, requireScope } from '@tokensmith/verifier/fastify';
import { metadataUrlOf } from '@tokensmith/verifier/shared';
import Fastify from 'fastify';
import t from 'tap';
import { hashClientSecret } from '../../src/clients/secret.js';
import { parseResources } from '../../src/resources/protected-resource.js';
import { buildTestApp } from '../helpers/app.js';
import { basicAuth } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { tokenRequest } from '../helpers/oauth.js';

const MCP = 'https://mcp.example/mcp';
const SECRET = 'reports-secret-0123456789abcdefghijklmnop';
const CLIENTS = [
  {
    client_id: 'reports',
    type: 'confidential',
    client_secret_hash: hashClientSecret(SECRET),
    grant_types: ['client_credentials'],
    scope: 'mcp:tools mcp:admin',
  },
];
const RESOURCES = parseResources([
  { resource: MCP, name: 'Example MCP', scopes: ['mcp:tools', 'mcp:admin'], clients: '*' },
  { resource: 'https://other.example/mcp', clients: '*' },
  { resource: 'https://api.example', scopes: ['orders:read'] },
]);

t.test('where metadata lives (RFC 9728 §3.1)', async (t) => {
  t.equal(metadataUrlOf(MCP), 'https://mcp.example/.well-known/oauth-protected-resource/mcp');
  t.equal(metadataUrlOf('https://api.example'), 'https://api.example/.well-known/oauth-protected-resource');
  t.equal(metadataUrlOf('http://localhost:3001/a/b'), 'http://localhost:3001/.well-known/oauth-protected-resource/a/b');
});

t.test('the service answers a registered resource’s metadata for the API behind the gateway (RFC 9728 §2, §3)', async (t) => {
  const { app, config } = await buildTestApp(t, { clients: CLIENTS, config: { resources: RESOURCES } });
  const get = (url: string, host: string) => app.inject({ url, headers: { host } });

  const mcp = await get('/.well-known/oauth-protected-resource/mcp', 'mcp.example');
  t.equal(mcp.statusCode, 200);
  t.same(mcp.json(), {
    resource: MCP,
    authorization_servers: [config.issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: ['mcp:tools', 'mcp:admin'],
    resource_name: 'Example MCP',
  });
  t.match(mcp.headers['cache-control'], /^public, max-age=\d+$/);
  t.equal(
    (await get('/.well-known/oauth-protected-resource/mcp', 'other.example')).json().resource,
    'https://other.example/mcp',
    'the host tells two resources of one path apart',
  );
  t.equal((await get('/.well-known/oauth-protected-resource/mcp', 'auth-internal:3000')).statusCode, 404, 'two of that path and neither host: none');
  const root = await get('/.well-known/oauth-protected-resource', 'auth-internal:3000');
  t.equal(root.json().resource, 'https://api.example', 'the only resource of a path, whatever Host the gateway passed');
  t.notOk('resource_name' in root.json());
  const unknown = await get('/.well-known/oauth-protected-resource/nothing', 'mcp.example');
  t.same([unknown.statusCode, unknown.json().error], [404, 'not_found']);
});

t.test('forward-auth points refusals for a registered resource to its metadata (RFC 9728 §5.1)', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { resources: RESOURCES } });
  const token = (
    await tokenRequest(app, { grant_type: 'client_credentials', resource: MCP, scope: 'mcp:tools' }, { authorization: basicAuth('reports', SECRET) })
  ).body.access_token!;
  const check = (query: string, bearer?: string) =>
    app.inject({ url: `/forward-auth?${query}`, headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` } });
  const metadata = 'resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"';
  const aud = `aud=${encodeURIComponent(MCP)}`;

  t.equal((await check(aud, token)).statusCode, 200, 'the audience check is the resource identifier');
  const missing = await check(aud);
  t.equal(missing.statusCode, 401);
  t.equal(missing.headers['www-authenticate'], `Bearer realm="tokensmith", ${metadata}`);
  const invalid = await check(aud, `${token.slice(0, -4)}AAAA`);
  t.equal(invalid.headers['www-authenticate'], `Bearer realm="tokensmith", error="invalid_token", ${metadata}`);
  const scope = await check(`${aud}&scope=mcp:admin`, token);
  t.equal(scope.statusCode, 403);
  t.equal(scope.headers['www-authenticate'], `Bearer realm="tokensmith", error="insufficient_scope", scope="mcp:admin", ${metadata}`);
  const stepUp = await check(`${aud}&acr=mfa`, token);
  t.equal(stepUp.statusCode, 401);
  t.match(stepUp.headers['www-authenticate'], /error="insufficient_user_authentication".*, resource_metadata="https:\/\/mcp\.example\//);

  const elsewhere = await check('aud=orders-api', token);
  t.equal(elsewhere.headers['www-authenticate'], 'Bearer realm="tokensmith", error="invalid_token"', 'an audience that is no registered resource: no metadata');
  t.equal((await check(`aud=${encodeURIComponent('https://other.example/mcp')}`, token)).statusCode, 401, 'a token for one resource is refused at another');
});

t.test('the verifier plugin publishes its own metadata and names it in every challenge', async (t) => {
  const auth = await listenTestApp(t, { clients: CLIENTS, config: { resources: parseResources([{ resource: 'http://localhost:4999/mcp', clients: '*' }]) } });
  const resource = 'http://localhost:4999/mcp';
  const verifier = createVerifier({ issuer: auth.base, audience: resource });
  const api = Fastify();
  t.teardown(() => api.close().then(() => verifier.close()));
  await api.register(fastifyResourceMetadata, { resource, authorizationServers: [auth.base], scopes: ['mcp:tools'], name: 'Local MCP' });
  await api.register(async (scope) => {
    await scope.register(fastifyVerifier, { verifier, realm: 'mcp', resource });
    scope.post('/mcp', { preHandler: requireScope('mcp:admin') }, async () => ({ ok: true }));
    scope.get('/mcp', { preHandler: requireAuthentication({ acr: 'mfa' }) }, async () => ({ ok: true }));
  });

  const metadata = await api.inject({ url: '/.well-known/oauth-protected-resource/mcp' });
  t.equal(metadata.statusCode, 200, 'public: outside the verifier’s scope');
  t.same(metadata.json(), {
    resource,
    authorization_servers: [auth.base],
    bearer_methods_supported: ['header'],
    scopes_supported: ['mcp:tools'],
    resource_name: 'Local MCP',
  });
  const pointer = 'resource_metadata="http://localhost:4999/.well-known/oauth-protected-resource/mcp"';
  const missing = await api.inject({ method: 'POST', url: '/mcp' });
  t.equal(missing.headers['www-authenticate'], `Bearer realm="mcp", ${pointer}`);
  const token = (
    await tokenRequest(auth.app, { grant_type: 'client_credentials', resource, scope: 'mcp:tools' }, { authorization: basicAuth('reports', SECRET) })
  ).body.access_token!;
  const scope = await api.inject({ method: 'POST', url: '/mcp', headers: { authorization: `Bearer ${token}` } });
  t.equal(scope.statusCode, 403);
  t.equal(scope.headers['www-authenticate'], `Bearer realm="mcp", error="insufficient_scope", scope="mcp:admin", ${pointer}`);
  const stepUp = await api.inject({ url: '/mcp', headers: { authorization: `Bearer ${token}` } });
  t.match(stepUp.headers['www-authenticate'], new RegExp(`error="insufficient_user_authentication".*, ${pointer.replace(/[.?/]/g, '\\$&')}$`));
  const invalid = await api.inject({ method: 'POST', url: '/mcp', headers: { authorization: 'Bearer abc.def.ghi' } });
  t.equal(invalid.headers['www-authenticate'], `Bearer realm="mcp", error="invalid_token", ${pointer}`);
});
