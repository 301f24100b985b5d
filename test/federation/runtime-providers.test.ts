import { randomBytes } from 'node:crypto';
import t from 'tap';
import { adminCall, buildAdminTestApp, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { keysDirWithKey, realClock } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually } from '../helpers/listen.js';
import { startRedis } from '../helpers/redis-server.js';
import { ACCOUNT_SPA, CookieJar, visit } from '../helpers/sign-in.js';
import { startUpstream } from '../helpers/upstream-provider.js';
import { parseProviderEntry } from '../../src/federation/provider.js';

// Providers managed at runtime: added through the admin API of instance A, offered by instance B within a second
// (two instances on one real Redis), their secret sealed at rest and never shown again.

const redis = await startRedis();
t.teardown(() => redis.close());

const ISSUER = 'http://127.0.0.1:3000';

t.test('a provider added on instance A signs people in on instance B; changed, re-secreted, removed everywhere', async (t) => {
  const upstream = await startUpstream(t, `${ISSUER}/login/corp/callback`);
  const clock = realClock();
  const options = {
    redis,
    clients: [ACCOUNT_SPA, ...SERVICE_CLIENTS, OPS_CLIENT],
    clock,
    shared: { prefix: redis.prefix(), keysDir: (await keysDirWithKey(t, clock)).dir },
    config: {
      issuer: ISSUER,
      mfaSecretKey: randomBytes(32),
      providers: [parseProviderEntry({ id: 'filed', name: 'Filed', issuer: 'https://idp.example', client_id: 'x', client_secret: 'y', scope: 'openid' }, {})],
    },
  };
  const a = await buildAdminTestApp(t, 'redis', options);
  const b = await buildAdminTestApp(t, 'redis', options);
  const token = await clientToken(a.app);
  t.equal((await visit(b.app, new CookieJar(), '/login/corp')).statusCode, 404, 'not offered yet');

  const entry = {
    id: 'corp',
    name: 'Corp',
    issuer: upstream.issuer,
    client_id: upstream.clientId,
    client_secret: upstream.clientSecret,
    scope: 'openid profile email',
    userinfo: true,
  };
  const created = await adminCall(a.admin, token, 'POST', '/admin/providers', entry);
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), { id: 'corp', source: 'store', callback_url: `${ISSUER}/login/corp/callback`, create_accounts: true });
  t.notMatch(created.body, upstream.clientSecret, 'the secret is never shown');
  const stored = (await a.store.providers.all()).providers[0]!;
  t.match(String(stored.entry.client_secret), /^v1\./, 'sealed at rest under MFA_SECRET_KEY');
  t.notMatch(JSON.stringify(stored), upstream.clientSecret);

  const signInOnB = async (login: string) => {
    const jar = new CookieJar();
    const start = await visit(b.app, jar, '/login/corp');
    if (start.statusCode !== 303) return start.statusCode;
    const callback = new URL(await upstream.signIn(String(start.headers.location), login));
    return (await visit(b.app, jar, `${callback.pathname}${callback.search}`)).statusCode;
  };
  t.ok(await eventually(async () => (await visit(b.app, new CookieJar(), '/login')).body.includes('Continue with Corp'), 1000), 'B offers it within a second');
  t.equal(await signInOnB('pat'), 303, 'and signs people in through it');
  const pat = (await b.store.users.findByUsernameKey('pat'))!;

  const icon = 'https://icons.example/corp.svg';
  t.equal((await adminCall(a.admin, token, 'PATCH', '/admin/providers/corp', { name: 'Corp Inc.', icon })).json().name, 'Corp Inc.');
  t.ok(await eventually(async () => (await visit(b.app, new CookieJar(), '/login')).body.includes('Continue with Corp Inc.'), 1000), 'a change too');
  const login = await visit(b.app, new CookieJar(), '/login');
  t.match(login.body, `<img src="${icon}" alt="" width="20" height="20" />Continue with Corp Inc.`, 'with its icon');
  t.match(String(login.headers['content-security-policy']), "img-src 'self' https://icons.example;", 'which CSP lets the page load');
  t.equal((await adminCall(a.admin, token, 'PATCH', '/admin/providers/corp', { scope: 'profile' })).statusCode, 400, 'validated as the file is');
  t.equal((await adminCall(a.admin, token, 'PATCH', '/admin/providers/corp', { client_secret: 'x' })).statusCode, 400, 'the secret has its own door');

  t.equal((await adminCall(a.admin, token, 'PUT', '/admin/providers/corp/secret', { client_secret: 'not the one the provider issued' })).statusCode, 200);
  t.ok(await eventually(async () => (await signInOnB('pat')) === 400, 2000), 'B uses the new secret (here, one the provider refuses)');
  await adminCall(a.admin, token, 'PUT', '/admin/providers/corp/secret', { client_secret: upstream.clientSecret });
  t.ok(await eventually(async () => (await signInOnB('pat')) === 303, 2000), 'and the right one again');

  t.equal((await adminCall(a.admin, token, 'PATCH', '/admin/providers/filed', { name: 'x' })).statusCode, 409, 'PROVIDERS_FILE entries are read-only');
  t.same(
    (await adminCall(a.admin, token, 'GET', '/admin/providers')).json().map((provider: { id: string; source: string }) => [provider.id, provider.source]),
    [
      ['filed', 'file'],
      ['corp', 'store'],
    ],
  );
  t.equal((await adminCall(a.admin, token, 'POST', '/admin/providers', { ...entry, client_secret: undefined, client_secret_env: 'X' })).statusCode, 400);
  t.equal((await adminCall(a.admin, token, 'POST', '/admin/providers', entry)).statusCode, 409, 'a taken id');

  t.equal((await adminCall(a.admin, token, 'DELETE', '/admin/providers/corp')).statusCode, 204);
  t.ok(await eventually(async () => (await visit(b.app, new CookieJar(), '/login/corp')).statusCode === 404, 1000), 'removed from B within a second');
  t.match(
    (await adminCall(b.admin, token, 'GET', `/admin/users/${pat.id}/identities`)).json(),
    [{ provider: 'corp', offered: false }],
    'the link stays, offered no more',
  );
  for (const line of [...a.logs.records(), ...b.logs.records()]) {
    if (JSON.stringify(line).includes(upstream.clientSecret)) t.fail(`a log line holds the secret: ${JSON.stringify(line)}`);
  }
});
