import t from 'tap';
import { readManifest, writeManifest } from '../../src/keys/manifest.js';
import { buildTestApp, form, type StoreKind } from '../helpers/app.js';
import { startRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/listen.js';

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`healthz and readyz answer 200 while all is well (${kind} store)`, async (t) => {
    const redis = kind === 'redis' ? await startRedis() : undefined;
    t.teardown(() => redis?.close());
    const { app } = await buildTestApp(t, { store: kind, redis });
    t.same((await app.inject({ url: '/healthz' })).json(), { status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    t.equal(ready.statusCode, 200);
    t.same(ready.json(), { status: 'ready', store: 'ok', signing_key: 'ok' });
  });
}

t.test('Redis down: readyz 503, login and registration 503 with Retry-After, healthz and JWKS still 200; it recovers without a restart', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const { app } = await buildTestApp(t, { store: 'redis', redis });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'frank', password: 'long enough' } });
  await redis.stop();
  const ready = await app.inject({ url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.same(ready.json(), { status: 'unavailable', store: 'unavailable', signing_key: 'ok' });
  const login = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'password', username: 'frank', password: 'long enough', client_id: 'web' }),
  });
  t.equal(login.statusCode, 503);
  t.equal(login.headers['retry-after'], '5');
  t.same(login.json(), { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable' });
  const register = await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'gina', password: 'long enough' } });
  t.equal(register.statusCode, 503);
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 200);
  await redis.restart();
  const readyAgain = async () => (await app.inject({ url: '/readyz' })).statusCode === 200;
  t.ok(await eventually(readyAgain, 6000, 100), 'ready again once Redis is back');
  const again = await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'gina', password: 'long enough' } });
  t.equal(again.statusCode, 201, 'writes work again (the restarted Redis kept nothing, so gina is new)');
});

t.test('no key that may sign (every key retired by hand): readyz 503 and the token endpoint 503', async (t) => {
  const { app, keyring, keysDir, clock } = await buildTestApp(t);
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'hank', password: 'long enough' } });
  const manifest = await readManifest(keysDir);
  const now = Math.floor(clock() / 1000);
  for (const schedule of Object.values(manifest.keys)) schedule.retired_at = now;
  await writeManifest(keysDir, manifest);
  await keyring.refresh();
  const ready = await app.inject({ url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.equal(ready.json().signing_key, 'missing');
  const login = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'password', username: 'hank', password: 'long enough', client_id: 'web' }),
  });
  t.equal(login.statusCode, 503);
  t.equal(login.json().error, 'temporarily_unavailable');
});
