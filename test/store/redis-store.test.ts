import t, { type Test } from 'tap';
import { StoreUnavailableError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { connectRedis, storeConnection } from '../../src/store/redis/connection.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis } from '../helpers/redis-server.js';
import { storeContract } from './contract.js';
import { eventually } from '../helpers/listen.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('redis store passes the storage contract against a real redis-server', async (t) => {
  storeContract(t, async () => new RedisStore(storeConnection(await connectRedis(redis.url, createLogger('silent'))), redis.prefix(), createLogger('silent')));
});

/** A Redis store with user u1 (ann) and its session s1, whose first refresh token hash is h1; and a plain client. */
async function storeWithSession(t: Test) {
  const prefix = redis.prefix();
  const store = new RedisStore(storeConnection(await connectRedis(redis.url, createLogger('silent'))), prefix, createLogger('silent'));
  t.teardown(() => store.close());
  await store.users.create({ id: 'u1', username: 'ann', usernameKey: 'ann', passwordHash: 'h', createdAt: 1, disabled: false });
  const now = Math.floor(Date.now() / 1000);
  await store.sessions.create(
    { sid: 's1', userId: 'u1', clientId: 'web', scope: '', createdAt: now, lastUsedAt: now, expiresAt: now + 1000, userAgent: '', ip: '' },
    { idleTtl: 100, refreshTokenHash: 'h1' },
  );
  const probe = await connectRedis(redis.url, createLogger('silent'));
  t.teardown(() => probe.close());
  return { prefix, store, probe };
}

t.test('every key the store writes starts with its prefix, and sessions carry an expiry', async (t) => {
  const { prefix, probe } = await storeWithSession(t);
  const keys = (await probe.keys(`${prefix}*`)).sort();
  t.same(keys, [`${prefix}refresh:h1`, `${prefix}session:s1`, `${prefix}user-sessions:u1`, `${prefix}user:u1`, `${prefix}username:ann`, `${prefix}usernames`]);
  const ttl = await probe.ttl(`${prefix}session:s1`);
  t.ok(ttl > 90 && ttl <= 100, `session TTL ${ttl}: the idle TTL`);
  for (const key of [`${prefix}refresh:h1`, `${prefix}user-sessions:u1`]) {
    const keyTtl = await probe.ttl(key);
    t.ok(keyTtl > 990 && keyTtl <= 1000, `${key} lives until the absolute expiry (${keyTtl})`);
  }
});

t.test("a session's hash does not repeat its sid, and one that an earlier build wrote with it reads the same", async (t) => {
  const { prefix, store, probe } = await storeWithSession(t);
  const key = `${prefix}session:s1`;
  t.notOk(await probe.hExists(key, 'sid'), 'the key names the session');
  t.match(await store.sessions.get('s1'), { sid: 's1', userId: 'u1', clientId: 'web' });
  await probe.hSet(key, 'sid', 's1');
  t.match(await store.sessions.get('s1'), { sid: 's1', userId: 'u1', clientId: 'web' }, 'with the field an earlier build wrote');
  t.same(
    (await store.sessions.listForUser('u1')).map((session) => session.sid),
    ['s1'],
  );
  t.equal(await store.sessions.get('s2'), undefined, 'no hash, no session');
});

t.test("a user's index that an earlier build wrote as a set is read as it is and becomes a hash on its next change", async (t) => {
  const { prefix, store, probe } = await storeWithSession(t);
  const index = `${prefix}user-sessions:u1`;
  t.equal(await probe.type(index), 'hash', 'this build writes a hash');
  t.equal(await probe.objectEncoding(index), 'listpack', 'which Redis keeps small (a set of strings is a hash table on 7.0)');
  const now = Math.floor(Date.now() / 1000);
  const start = (sid: string) =>
    store.sessions.create(
      { sid, userId: 'u1', clientId: 'web', scope: '', createdAt: now, lastUsedAt: now, expiresAt: now + 1000, userAgent: '', ip: '' },
      { idleTtl: 100 },
    );
  const asEarlierBuild = async (sids: string[]) => {
    await probe.del(index);
    await probe.sAdd(index, sids);
    await probe.expire(index, 2000);
  };
  await start('s2');
  await asEarlierBuild(['s1', 's2']);
  t.same(
    (await store.sessions.listForUser('u1')).map((session) => session.sid),
    ['s1', 's2'],
    'listed from the set',
  );
  t.equal(await probe.type(index), 'set', 'reading changes nothing');
  await start('s3');
  t.equal(await probe.type(index), 'hash', 'a new session turns it into a hash');
  t.same((await probe.hKeys(index)).sort(), ['s1', 's2', 's3'], 'with every member');
  const ttl = await probe.ttl(index);
  t.ok(ttl > 1990 && ttl <= 2000, `and its expiry (${ttl})`);

  await asEarlierBuild(['s1', 's2', 's3']);
  await store.sessions.end('s2', 60);
  t.equal(await probe.type(index), 'hash', 'ending a session turns it into a hash too');
  t.same((await probe.hKeys(index)).sort(), ['s1', 's3'], 'without the ended one');
  await asEarlierBuild(['s1', 's3']);
  t.equal(await store.sessions.endAllForUser('u1', 60), 2, "ending all of a user's sessions reads the set");
  t.equal(await probe.exists(index), 0, 'and leaves no index');
});

t.test('users an older build wrote (no username index) are listed: the first list adds them, once', async (t) => {
  const { prefix, store, probe } = await storeWithSession(t);
  for (const name of ['cid', 'bea']) {
    await probe.hSet(`${prefix}user:id-${name}`, { id: `id-${name}`, username: name, username_key: name, password_hash: 'h', created_at: '1', disabled: '0' });
    await probe.set(`${prefix}username:${name}`, `id-${name}`);
  }
  await probe.del(`${prefix}usernames`);
  const listed = await store.users.list({ prefix: '', limit: 10 });
  t.same(
    listed.users.map((user) => user.id),
    ['u1', 'id-bea', 'id-cid'],
    'ann (in order: ann, bea, cid), and both users that had no index entry',
  );
  t.equal(await probe.get(`${prefix}usernames-indexed`), '1', 'the index is marked complete');
  await probe.set(`${prefix}username:dan`, 'id-dan');
  t.equal((await store.users.list({ prefix: '', limit: 10 })).users.length, 3, 'no second scan once complete');
});

t.test('a refresh token whose lookup an older build wrote (the sid alone) still rotates, and its successor too', async (t) => {
  const { prefix, store, probe } = await storeWithSession(t);
  await probe.set(`${prefix}refresh:h1`, 's1', { PX: 60_000 });
  const rotation = { clientId: 'web', sealedSuccessor: 'sealed', graceMs: 0, idleTtl: 100, revokedTtl: 900 };
  t.equal((await store.sessions.rotate({ ...rotation, tokenHash: 'h1', newTokenHash: 'h2' })).outcome, 'rotated');
  t.equal((await store.sessions.rotate({ ...rotation, tokenHash: 'h2', newTokenHash: 'h3' })).outcome, 'rotated');
  t.equal(
    (await store.sessions.rotate({ ...rotation, tokenHash: 'h1', newTokenHash: 'h4' })).outcome,
    'reused',
    'reuse of the old-format token is still detected',
  );
});

t.test('a stopped Redis makes calls fail fast with StoreUnavailableError, and the store recovers by itself', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.close());
  const store = new RedisStore(storeConnection(await connectRedis(own.url, createLogger('silent'))), own.prefix(), createLogger('silent'));
  t.teardown(() => store.close());
  await own.stop();
  await t.rejects(store.ping(), StoreUnavailableError);
  await t.rejects(store.users.findById('x'), StoreUnavailableError);
  await own.restart();
  const pings = () =>
    store.ping().then(
      () => true,
      () => false,
    );
  t.ok(await eventually(pings, 6000, 100), 'ping answers again after the restart');
  t.equal(
    await store.users.create({ id: 'u2', username: 'bob', usernameKey: 'bob', passwordHash: 'h', createdAt: 1, disabled: false }),
    'created',
    'scripts load again (NOSCRIPT) after a restart',
  );
});

t.test('a rotation or a code redemption that reaches Redis after its request gave up (503) changes nothing', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.close());
  const store = new RedisStore(storeConnection(await connectRedis(own.url, createLogger('silent'))), own.prefix(), createLogger('silent'), Date.now, 300);
  t.teardown(() => store.close());
  const now = Math.floor(Date.now() / 1000);
  await store.users.create({ id: 'u1', username: 'ann', usernameKey: 'ann', passwordHash: 'h', createdAt: 1, disabled: false });
  await store.sessions.create(
    { sid: 's1', userId: 'u1', clientId: 'web', scope: '', createdAt: now, lastUsedAt: now, expiresAt: now + 1000, userAgent: '', ip: '' },
    { idleTtl: 100, refreshTokenHash: 'h1' },
  );
  const code = {
    clientId: 'web',
    redirectUri: 'https://app.example/cb',
    codeChallenge: 'c',
    scope: 'openid',
    userId: 'u1',
    signInId: 'si',
    signInHash: 'sh',
    authTime: now,
  };
  await store.codes.create('c1', code, 60_000);
  const rotation = { clientId: 'web', sealedSuccessor: 'sealed', graceMs: 0, idleTtl: 100, revokedTtl: 900 };
  // A stall: the commands are sent and queued, the store gives up after 300 ms, Redis runs them when it wakes.
  own.pause();
  await t.rejects(store.sessions.rotate({ ...rotation, tokenHash: 'h1', newTokenHash: 'h2' }), StoreUnavailableError);
  await t.rejects(store.codes.redeem('c1', 60_000), StoreUnavailableError);
  await new Promise((resolve) => setTimeout(resolve, 200));
  own.resume();
  const pings = () =>
    store.ping().then(
      () => true,
      () => false,
    );
  t.ok(await eventually(pings, 3000, 50), 'the store answers again');
  t.equal((await store.sessions.rotate({ ...rotation, tokenHash: 'h1', newTokenHash: 'h3' })).outcome, 'rotated', 'the late rotation spent nothing');
  t.equal((await store.sessions.rotate({ ...rotation, tokenHash: 'h2', newTokenHash: 'h4' })).outcome, 'invalid', 'and made no token');
  t.equal((await store.codes.redeem('c1', 60_000)).outcome, 'redeemed', 'the late redemption redeemed nothing');
});
