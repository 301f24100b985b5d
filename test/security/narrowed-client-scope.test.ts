/**
 * Narrowing a client's scope narrows its existing sessions and tokens too, not only new logins: a refresh grants the
 * session's scope as the client holds it now (asking for a removed scope is invalid_scope and spends nothing), and
 * forward-auth (route and fast lane), introspection, UserInfo and the account API read a token's scope the same way.
 * The same holds for a scope removed from CLIENTS_FILE across a restart.
 */
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import t from 'tap';
import { adminCall, buildAdminTestApp, clientToken } from '../helpers/admin.js';
import { buildTestApp, keysDirWithKey, type StoreKind } from '../helpers/app.js';
import { listenOn } from '../helpers/listen.js';
import { introspection, refresh, registerAndLogin } from '../helpers/oauth.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const KINDS: StoreKind[] = ['memory', 'redis'];
const SHOP = { client_id: 'shop', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile orders:write' };

/** What introspection says of a token's scope, asked by the test clients' gateway. */
async function introspectedScope(app: FastifyInstance, token: string): Promise<string> {
  return (await introspection(app, token)).scope as string;
}

for (const kind of KINDS) {
  t.test(`a scope removed from a runtime client is gone from its sessions and tokens at once (${kind} store)`, async (t) => {
    const { app, admin } = await buildAdminTestApp(t, kind, { redis });
    const ops = await clientToken(app);
    t.equal((await adminCall(admin, ops, 'POST', '/admin/clients', SHOP)).statusCode, 201);
    const login = await registerAndLogin(app, `narrow-${kind}`, 'shop');
    t.equal(login.scope, 'profile orders:write');
    const before = login.access_token!;
    const base = await listenOn(t, app);
    const check = async (token: string, query = '?scope=orders:write') => {
      const response = await fetch(`${base}/forward-auth${query}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, scope: response.headers.get('x-auth-scope') };
    };
    t.same(await check(before), { status: 200, scope: 'profile orders:write' }, 'forward-auth, by the route');
    t.same(await check(before), { status: 200, scope: 'profile orders:write' }, 'forward-auth, by the fast lane');

    t.equal((await adminCall(admin, ops, 'PATCH', '/admin/clients/shop', { scope: 'profile' })).statusCode, 200);

    t.same(await check(before), { status: 403, scope: null }, 'the token issued before: orders:write is refused (fast lane)');
    t.same(await check(before, ''), { status: 200, scope: 'profile' }, 'and X-Auth-Scope says what it holds now');
    t.equal(await introspectedScope(app, before), 'profile', 'introspection answers the scope it holds now');
    t.equal(await introspectedScope(app, login.refresh_token!), 'profile', 'for the refresh token too');

    const widened = await refresh(app, login.refresh_token!, 'shop', { scope: 'orders:write' });
    t.equal(widened.status, 400);
    t.equal(widened.body.error, 'invalid_scope', 'asking for the removed scope');
    const refreshed = await refresh(app, login.refresh_token!, 'shop');
    t.equal(refreshed.status, 200, 'the refused request spent nothing');
    t.equal(refreshed.body.scope, 'profile');
    t.equal(decodeJwt(refreshed.body.access_token!).scope, 'profile', 'the new access token lacks orders:write');
    t.same(await check(refreshed.body.access_token!), { status: 403, scope: null });
    const again = await refresh(app, refreshed.body.refresh_token!, 'shop', { scope: 'profile orders:write' });
    t.equal(again.body.error, 'invalid_scope', 'on every later refresh as well');
  });

  t.test(`a scope removed from the account API's or UserInfo's view is not read from an older token (${kind} store)`, async (t) => {
    const { app, admin } = await buildAdminTestApp(t, kind, { redis });
    const ops = await clientToken(app);
    await adminCall(admin, ops, 'POST', '/admin/clients', SHOP);
    const login = await registerAndLogin(app, `narrow-me-${kind}`, 'shop');
    const me = () => app.inject({ method: 'GET', url: '/account/me', headers: { authorization: `Bearer ${login.access_token}` } });
    t.equal((await me()).statusCode, 200);
    await adminCall(admin, ops, 'PATCH', '/admin/clients/shop', { scope: 'orders:write' });
    t.equal((await me()).statusCode, 403, 'profile was taken from the client: the token no longer reads the profile');
  });
}

t.test('a scope removed from CLIENTS_FILE across a restart is gone from the sessions of before', async (t) => {
  const shared = { prefix: redis.prefix(), keysDir: (await keysDirWithKey(t)).dir };
  const before = await buildTestApp(t, { store: 'redis', redis, clients: [...SERVICE_CLIENTS, SHOP], shared });
  const login = await registerAndLogin(before.app, 'narrow-file', 'shop');
  await before.app.close();
  const restarted = await buildTestApp(t, { store: 'redis', redis, clients: [...SERVICE_CLIENTS, { ...SHOP, scope: 'profile' }], shared });
  const refreshed = await refresh(restarted.app, login.refresh_token!, 'shop');
  t.equal(refreshed.status, 200);
  t.equal(refreshed.body.scope, 'profile');
  t.equal((await refresh(restarted.app, refreshed.body.refresh_token!, 'shop', { scope: 'orders:write' })).body.error, 'invalid_scope');
});
