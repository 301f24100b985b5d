import { decodeJwt } from 'jose';
import t from 'tap';
import { parseResources } from '../../src/resources/protected-resource.js';
import { adminCall, buildAdminTestApp, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { keysDirWithKey, realClock } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually } from '../helpers/listen.js';
import { refresh, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

// Protected resources managed at runtime: registered through the admin API (or the CLI) of one instance, served by
// another within a second (two instances on one real Redis), as runtime clients and providers are.

const redis = await startRedis();
t.teardown(() => redis.close());

const MCP = 'https://mcp.example/mcp';
const FILED = 'https://filed.example/api';
const APP = { client_id: 'app', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'mcp:tools profile', first_party: true };

t.test('a resource registered on instance A: B issues tokens for it and answers its metadata; a change or removal holds everywhere', async (t) => {
  const clock = realClock();
  const options = {
    redis,
    clients: [APP, ...SERVICE_CLIENTS, OPS_CLIENT],
    clock,
    shared: { prefix: redis.prefix(), keysDir: (await keysDirWithKey(t, clock)).dir },
    config: { resources: parseResources([{ resource: FILED, clients: '*' }]) },
  };
  const a = await buildAdminTestApp(t, 'redis', options);
  const b = await buildAdminTestApp(t, 'redis', options);
  const token = await clientToken(a.app);
  await b.app.inject({ method: 'POST', url: '/account/register', payload: { username: 'ada', password: 'long enough' } });
  const login = () => tokenRequest(b.app, { grant_type: 'password', client_id: 'app', username: 'ada', password: 'long enough', resource: MCP });
  const metadataOnB = async () => (await b.app.inject({ url: '/.well-known/oauth-protected-resource/mcp', headers: { host: 'mcp.example' } })).statusCode;
  t.equal((await login()).body.error, 'invalid_target', 'unknown at first');

  const created = await adminCall(a.admin, token, 'POST', '/admin/resources', { resource: MCP, name: 'Tools', scopes: ['mcp:tools'], clients: ['app'] });
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), { resource: MCP, name: 'Tools', scopes: ['mcp:tools'], clients: ['app'], exchanged_by: [], source: 'store' });
  t.equal(created.json().metadata_url, 'https://mcp.example/.well-known/oauth-protected-resource/mcp');
  t.ok(await eventually(async () => (await metadataOnB()) === 200, 1500), 'B answers its RFC 9728 metadata within a second');
  const tokens = await login();
  t.equal(tokens.status, 200, 'and issues tokens meant for it');
  t.match(decodeJwt(tokens.body.access_token!), { aud: MCP, scope: 'mcp:tools' }, 'only the scopes it accepts');

  const path = `/admin/resources/${encodeURIComponent(MCP)}`;
  t.match((await adminCall(b.admin, token, 'GET', path)).json(), { resource: MCP, source: 'store' }, 'read by its encoded identifier, on either instance');
  t.equal((await adminCall(a.admin, token, 'PATCH', path, { scopes: ['not a scope'] })).statusCode, 400, 'validated as the file is');
  t.equal((await adminCall(a.admin, token, 'PATCH', path, { resource: 'https://other.example/' })).statusCode, 400, 'the identifier stays');
  t.equal((await adminCall(a.admin, token, 'POST', '/admin/resources', { resource: MCP })).statusCode, 409, 'registered already');
  const filed = `/admin/resources/${encodeURIComponent(FILED)}`;
  t.match((await adminCall(a.admin, token, 'GET', filed)).json(), { resource: FILED, source: 'file', clients: '*' });
  t.equal((await adminCall(a.admin, token, 'PATCH', filed, { name: 'x' })).statusCode, 409, 'RESOURCES_FILE’s are read-only here');
  t.equal((await adminCall(a.admin, token, 'DELETE', filed)).statusCode, 409);
  t.same(
    (await adminCall(a.admin, token, 'GET', '/admin/resources')).json().map((resource: { resource: string }) => resource.resource),
    [FILED, MCP],
    'the file’s first',
  );

  // The client taken off the resource: its session's next refresh gets no token for it.
  const patched = await adminCall(a.admin, token, 'PATCH', path, { clients: null, name: null });
  t.match(patched.json(), { clients: [], name: null });
  let refreshToken = tokens.body.refresh_token!;
  const refused = await eventually(async () => {
    const answer = await refresh(b.app, refreshToken, 'app');
    if (answer.status === 200) refreshToken = answer.body.refresh_token!;
    return answer.body.error === 'invalid_target';
  }, 1500);
  t.ok(refused, 'a refresh of a session granted for it is invalid_target on B within a second');

  t.equal((await adminCall(a.admin, token, 'DELETE', path)).statusCode, 204);
  t.ok(await eventually(async () => (await metadataOnB()) === 404, 1500), 'deleted: B answers no metadata for it');
  t.equal((await adminCall(a.admin, token, 'POST', '/admin/resources', { resource: MCP })).statusCode, 409, 'held for a moment after its deletion');
  const events = a.logs.records().filter((line) => line.event === 'admin_action' && String(line.action).startsWith('resource_'));
  t.same(
    events.map((line) => line.action),
    ['resource_created', 'resource_updated', 'resource_deleted'],
    'audited as admin actions',
  );
});

t.test('the CLI registers, lists and removes resources in the store the service reads', async (t) => {
  const prefix = redis.prefix();
  const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
  const added = await cli(['resources', 'add'], env, JSON.stringify({ resource: MCP, clients: '*', scopes: ['mcp:tools'] }));
  t.equal(added.code, 0, added.err);
  t.match(added.out, `registered ${MCP}; its metadata: https://mcp.example/.well-known/oauth-protected-resource/mcp`);
  const listed = await cli(['resources', 'list', '--json'], env);
  t.match(JSON.parse(listed.out), [{ resource: MCP, source: 'store', clients: '*' }]);
  const bad = await cli(['resources', 'update', MCP], env, JSON.stringify({ clients: 'everyone' }));
  t.equal(bad.code, 1, 'refused: clients must be "*" or a list');
  const removed = await cli(['resources', 'delete', MCP], env);
  t.equal(removed.code, 0, removed.err);
  t.match((await cli(['resources', 'list'], env)).out, 'no resource');
});
