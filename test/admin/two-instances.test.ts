import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import t, { type Test } from 'tap';
import { buildTestApp, keysDirWithKey, realClock, tempDir } from '../helpers/app.js';
import { OPS_CLIENT, OPS_SECRET } from '../helpers/admin.js';
import { basicAuth, SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually, listenOn } from '../helpers/listen.js';
import { introspectedActive, refresh, registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { runBuilt } from '../helpers/spawn.js';

const redis = await startRedis();
t.teardown(() => redis.close());

/** Two instances of one service on one Redis; A has the admin API on a real loopback socket. */
async function twoInstances(t: Test) {
  const clock = realClock();
  const shared = { prefix: redis.prefix(), keysDir: (await keysDirWithKey(t, clock)).dir };
  const options = { store: 'redis' as const, redis, clients: [...SERVICE_CLIENTS, OPS_CLIENT], clock, shared };
  const a = (await buildTestApp(t, { ...options, config: { admin: { port: 0, host: '127.0.0.1' } } })).app;
  const b = (await buildTestApp(t, options)).app;
  const adminBase = await listenOn(t, a.admin!);
  const token = (await tokenRequest(a, { grant_type: 'client_credentials' }, { authorization: basicAuth('ops', OPS_SECRET) })).body.access_token!;
  const admin = (method: string, path: string, body?: object) =>
    fetch(`${adminBase}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { a, b, admin };
}

t.test('disabling a user on A: its refresh chain and forward-auth on B (the revocation mirror) refuse within a second', async (t) => {
  const { a, b, admin } = await twoInstances(t);
  const login = await registerAndLogin(b, 'chained');
  let chain = login.refresh_token!;
  for (let i = 0; i < 3; i += 1) chain = (await refresh(b, chain)).body.refresh_token!;
  const access = (await refresh(b, chain)).body;
  chain = access.refresh_token!;
  const check = async () => (await b.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${access.access_token}` } })).statusCode;
  t.equal(await check(), 200, 'live on B before');

  const userId = decodeJwt(login.access_token!).sub!;
  const disabled = await admin('PATCH', `/admin/users/${userId}`, { disabled: true });
  t.equal(disabled.status, 200, 'through the admin listener on A');
  const started = performance.now();
  t.ok(await eventually(async () => (await check()) === 401, 1000, 5), 'forward-auth on B refuses within a second');
  t.comment(`forward-auth on B refused ${(performance.now() - started).toFixed(1)} ms after the disable answered`);
  t.equal((await refresh(b, chain)).body.error, 'invalid_grant', "the chain's newest refresh token stops on B");
  t.equal((await refresh(a, chain)).body.error, 'invalid_grant', 'and on A');
  t.equal((await tokenRequest(a, { grant_type: 'password', client_id: 'web', username: 'chained', password: 'long enough' })).body.error, 'invalid_grant');
});

t.test('a client created on A works on B at once; its secret rotation and deletion reach B within a second', async (t) => {
  const { a, b, admin } = await twoInstances(t);
  const created = await admin('POST', '/admin/clients', { client_id: 'fresh-svc', type: 'confidential', grant_types: ['client_credentials'], scope: 'fresh' });
  t.equal(created.status, 201);
  const secret = ((await created.json()) as { client_secret: string }).client_secret;
  const onB = (secretToUse: string) => tokenRequest(b, { grant_type: 'client_credentials' }, { authorization: basicAuth('fresh-svc', secretToUse) });
  const first = await onB(secret);
  t.equal(first.status, 200, 'B issues a token at once, without waiting for its poll');
  t.equal(decodeJwt(first.body.access_token!).sub, 'fresh-svc');

  const rotated = await admin('POST', '/admin/clients/fresh-svc/secret', {});
  const next = ((await rotated.json()) as { client_secret: string }).client_secret;
  t.ok(await eventually(async () => (await onB(secret)).status === 401, 1000), 'the old secret stops on B within a second');
  t.equal((await onB(next)).status, 200);

  t.equal((await admin('DELETE', '/admin/clients/fresh-svc')).status, 204);
  t.ok(
    await eventually(async () => (await introspectedActive(b, first.body.access_token!)) === false, 1000),
    "B refuses the deleted client's token within a second",
  );
  t.ok(await eventually(async () => (await onB(next)).status === 401, 1000), 'and its secret');
  t.equal((await a.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${first.body.access_token}` } })).statusCode, 401);
});

t.test('the server serves the admin API on ADMIN_PORT, on loopback by default, apart from the service port', async (t) => {
  const [port, adminPort] = [await freePort(), await freePort()];
  const { dir } = await keysDirWithKey(t, () => Date.now());
  const clientsFile = join(await tempDir(t), 'clients.json');
  await writeFile(clientsFile, JSON.stringify([OPS_CLIENT]));
  const run = runBuilt('dist/server.js', [], {
    PORT: String(port),
    HOST: '127.0.0.1',
    KEYS_DIR: dir,
    CLIENTS_FILE: clientsFile,
    ADMIN_PORT: String(adminPort),
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix(),
    LOG_LEVEL: 'info',
  });
  t.teardown(() => run.child.kill('SIGKILL'));
  t.ok(await eventually(() => /"msg":"admin API listening"/.test(run.stdout()), 20_000, 100), run.stderr());
  t.match(run.stdout(), /"host":"127\.0\.0\.1","port":\d+,"msg":"admin API listening"/);
  t.ok(await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 20_000, 100));
  const token = (
    (await (
      await fetch(`http://127.0.0.1:${port}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basicAuth('ops', OPS_SECRET), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      })
    ).json()) as { access_token: string }
  ).access_token;
  const headers = { authorization: `Bearer ${token}` };
  t.equal((await fetch(`http://127.0.0.1:${adminPort}/admin/clients`, { headers })).status, 200, 'on ADMIN_PORT');
  t.equal((await fetch(`http://127.0.0.1:${port}/admin/clients`, { headers })).status, 404, 'not on the service port');
});
