import { decodeJwt } from 'jose';
import t from 'tap';
import { createLogger } from '../../src/logger.js';
import { connectRedis } from '../../src/store/redis/connection.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { buildTestApp, type StoreKind } from '../helpers/app.js';
import { refresh, registerAndLogin } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/listen.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const CLIENTS = [
  { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile orders:read' },
  { client_id: 'mobile', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' },
  { client_id: 'login-only', type: 'public', grant_types: ['password'], scope: 'profile' },
];

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`refresh_token grant (${kind} store)`, async (t) => {
    const { app, clock, store } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS });

    t.test('rotation: a new access and refresh token; the session carries on; the old token is spent', async (t) => {
      const login = await registerAndLogin(app, 'rita');
      const first = await refresh(app, login.refresh_token!);
      t.equal(first.status, 200);
      t.equal(first.headers['cache-control'], 'no-store');
      t.not(first.body.refresh_token, login.refresh_token);
      t.not(first.body.access_token, login.access_token);
      t.equal(first.body.scope, 'profile orders:read');
      const claims = decodeJwt(first.body.access_token!);
      t.equal(claims.sid, decodeJwt(login.access_token!).sid, 'same session');
      t.equal(claims.sub, decodeJwt(login.access_token!).sub);
      const second = await refresh(app, first.body.refresh_token!);
      t.equal(second.status, 200, 'the new token works');
      const session = await store.sessions.get(claims.sid as string);
      t.equal(session?.lastUsedAt, Math.floor(clock() / 1000));
    });

    t.test('a narrower scope is granted for the new access token; a wider one is invalid_scope and spends nothing', async (t) => {
      const login = await registerAndLogin(app, 'sam');
      const narrow = await refresh(app, login.refresh_token!, 'web', { scope: 'orders:read' });
      t.equal(narrow.status, 200);
      t.equal(narrow.body.scope, 'orders:read');
      t.equal(decodeJwt(narrow.body.access_token!).scope, 'orders:read');
      const wide = await refresh(app, narrow.body.refresh_token!, 'web', { scope: 'orders:read admin' });
      t.equal(wide.status, 400);
      t.equal(wide.body.error, 'invalid_scope');
      const back = await refresh(app, narrow.body.refresh_token!);
      t.equal(back.status, 200, 'the token was not spent by the refused request');
      t.equal(back.body.scope, 'profile orders:read', 'the session keeps its original grant');
    });

    t.test('within the grace, the spent token gets the same successor and the session survives', async (t) => {
      const login = await registerAndLogin(app, 'tess');
      const first = await refresh(app, login.refresh_token!);
      clock.advance(9);
      const retry = await refresh(app, login.refresh_token!);
      t.equal(retry.status, 200);
      t.equal(retry.body.refresh_token, first.body.refresh_token, 'one family branch: the same current token');
      t.not(retry.body.access_token, first.body.access_token);
      t.equal((await refresh(app, retry.body.refresh_token!)).status, 200, 'and it keeps working');
    });

    t.test('reuse after the grace revokes the whole session, newest token included (RFC 9700 §4.14.2)', async (t) => {
      const login = await registerAndLogin(app, 'ursula');
      const first = await refresh(app, login.refresh_token!);
      clock.advance(11);
      const reused = await refresh(app, login.refresh_token!);
      t.equal(reused.status, 400);
      t.same(reused.body, { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' });
      t.equal((await refresh(app, first.body.refresh_token!)).status, 400, 'the newest token is revoked too');
      t.equal(
        await store.revocations.isRevoked({ jti: 'none', sid: decodeJwt(login.access_token!).sid as string }),
        true,
        'its access tokens go on the revoked list',
      );
    });

    t.test('only the immediate predecessor qualifies for the grace', async (t) => {
      const login = await registerAndLogin(app, 'vera');
      const first = await refresh(app, login.refresh_token!);
      const second = await refresh(app, first.body.refresh_token!);
      t.equal((await refresh(app, login.refresh_token!)).status, 400, 'two generations back, within the grace: reuse');
      t.equal((await refresh(app, second.body.refresh_token!)).status, 400, 'and the family is revoked');
    });

    t.test('50 parallel refreshes of one token: all succeed with one successor that keeps working', async (t) => {
      const login = await registerAndLogin(app, 'wade');
      const results = await Promise.all(Array.from({ length: 50 }, () => refresh(app, login.refresh_token!)));
      t.same([...new Set(results.map((r) => r.status))], [200]);
      const successors = new Set(results.map((r) => r.body.refresh_token));
      t.equal(successors.size, 1, 'one successor for all fifty');
      t.equal((await refresh(app, [...successors][0]!)).status, 200);
    });

    t.test('a refresh token is bound to its client', async (t) => {
      const login = await registerAndLogin(app, 'xena');
      const other = await refresh(app, login.refresh_token!, 'mobile');
      t.equal(other.status, 400);
      t.equal(other.body.error, 'invalid_grant');
      t.equal((await refresh(app, login.refresh_token!)).status, 200, 'the session is untouched for its own client');
    });

    t.test("a disabled user's sessions stop refreshing", async (t) => {
      const login = await registerAndLogin(app, 'yann');
      await store.users.setDisabled(decodeJwt(login.access_token!).sub!, true);
      const refused = await refresh(app, login.refresh_token!);
      t.equal(refused.status, 400);
      t.equal(refused.body.error, 'invalid_grant');
      await store.users.setDisabled(decodeJwt(login.access_token!).sub!, false);
      t.equal((await refresh(app, login.refresh_token!)).status, 400, 'the session ended; re-enabling does not bring it back');
    });

    t.test('errors: missing token, unknown token, client without the grant', async (t) => {
      const missing = await app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'refresh_token', client_id: 'web' } });
      t.equal(missing.statusCode, 400);
      t.same(missing.json(), { error: 'invalid_request', error_description: 'missing parameter: refresh_token' });
      t.equal((await refresh(app, 'A'.repeat(43))).body.error, 'invalid_grant');
      const login = await registerAndLogin(app, 'zoe', 'login-only');
      t.equal(login.refresh_token, undefined, 'no refresh token without the grant');
      t.equal((await refresh(app, 'A'.repeat(43), 'login-only')).body.error, 'unauthorized_client');
    });
  });
}

t.test('lifetimes: idle timeout renewed by each refresh, absolute lifetime never extended (memory store, moved clock)', async (t) => {
  const { app, clock } = await buildTestApp(t, { clients: CLIENTS, config: { refreshIdleTtl: 3600, refreshTokenTtl: 3 * 3600 } });
  const login = await registerAndLogin(app, 'ida');
  let token = login.refresh_token!;
  for (let hour = 1; hour <= 2; hour++) {
    clock.advance(3500);
    const refreshed = await refresh(app, token);
    t.equal(refreshed.status, 200, `refresh after ${hour} idle periods just under the idle TTL`);
    token = refreshed.body.refresh_token!;
  }
  clock.advance(3 * 3600 - 2 * 3500 + 1);
  t.equal((await refresh(app, token)).status, 400, 'past the absolute lifetime, however recently used');
  const idle = await registerAndLogin(app, 'idle');
  clock.advance(3601);
  t.equal((await refresh(app, idle.refresh_token!)).status, 400, 'unused for longer than the idle TTL');
});

t.test('Redis does not grow with sessions: no key without an expiry is added by many logins and refreshes', async (t) => {
  const { app, store } = await buildTestApp(t, { store: 'redis', redis, clients: CLIENTS });
  const prefix = (store as RedisStore).prefix;
  const persistentKeys = async () =>
    (await redis.keys(prefix))
      .filter(({ ttl }) => ttl === -1)
      .map(({ key }) => key)
      .sort();
  await registerAndLogin(app, 'many');
  const before = await persistentKeys();
  t.same(
    before.map((key) => key.slice(prefix.length).split(':')[0]).sort(),
    ['user', 'username', 'usernames'],
    "only the user's own keys (and the one index of usernames) are permanent",
  );
  for (let i = 0; i < 30; i++) {
    const login = await registerAndLogin(app, 'many');
    const refreshed = await refresh(app, login.refresh_token!);
    await app.inject({ method: 'POST', url: '/account/logout', headers: { authorization: `Bearer ${refreshed.body.access_token}` } });
  }
  t.same(await persistentKeys(), before);
  t.ok((await redis.keys(prefix)).length > before.length, 'the session keys exist, with expiries');
});

t.test('killing the Redis connection between and during refreshes never makes a token valid twice (no second family branch)', async (t) => {
  const { app } = await buildTestApp(t, { store: 'redis', redis, clients: CLIENTS });
  const admin = await connectRedis(redis.url, createLogger('silent'));
  t.teardown(() => admin.close());
  const login = await registerAndLogin(app, 'chaos');
  const successorOf = new Map<string, Set<string>>();
  let token = login.refresh_token!;
  let failures = 0;
  let killed = 0;
  for (let round = 0; round < 40; round++) {
    const kill = admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    const [result, count] = await Promise.all([refresh(app, token), kill]);
    killed += Number(count);
    if (result.status === 200) {
      const next = result.body.refresh_token!;
      const seen = successorOf.get(token) ?? new Set<string>();
      seen.add(next);
      successorOf.set(token, seen);
      token = next;
    } else {
      t.equal(result.status, 503, `round ${round}: a lost connection is a 503, never another answer (${JSON.stringify(result.body)})`);
      failures += 1;
      // The store reconnects in the background: go on once it answers again.
      t.ok(await eventually(async () => (await app.inject({ url: '/readyz' })).statusCode === 200), 'the store is back');
    }
  }
  t.ok(failures > 0, `some refreshes met a killed connection (${failures} of ${killed} kills)`);
  for (const [from, successors] of successorOf) t.equal(successors.size, 1, `token ${from.slice(0, 6)}… has exactly one successor`);
  // In a cluster /readyz asks one node, while the node that holds the session may still be reconnecting: a 503 there
  // asks the client to try again, as it would. Any other answer is final.
  let final = await refresh(app, token);
  await eventually(async () => {
    if (final.status === 503) final = await refresh(app, token);
    return final.status !== 503;
  });
  t.equal(final.status, 200, `the newest token still works: nothing was revoked by the faults (${final.status} ${final.body.error ?? ''})`);
});
