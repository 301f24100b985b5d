import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { SessionRecord, Store, UserRecord } from '../../src/store/types.js';

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  const id = randomUUID();
  return { id, username: `user-${id.slice(0, 8)}`, usernameKey: `user-${id.slice(0, 8)}`, passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA', createdAt: 1_700_000_000, disabled: false, ...overrides };
}

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { sid: randomUUID(), userId: randomUUID(), clientId: 'web', scope: 'profile orders:read', createdAt: 1_700_000_000, userAgent: 'Mozilla/5.0 (X11) «ü»', ip: '127.0.0.1', ...overrides };
}

/**
 * The storage contract: every adapter runs these same tests (against a real Redis server for the
 * Redis store), as node-oidc-provider runs one suite against every adapter.
 */
export function storeContract(t: Test, open: () => Promise<Store>): void {
  let store: Store;
  t.beforeEach(async () => {
    store = await open();
  });
  t.afterEach(async () => {
    await store.close();
  });

  t.test('ping answers while the store is up', async (t) => {
    await t.resolves(store.ping());
  });

  t.test('a created user is found by id and by username key, field for field', async (t) => {
    const record = user({ username: 'Zoë.Ünïcode', usernameKey: 'zoë.ünïcode', disabled: true });
    t.equal(await store.users.create(record), true);
    t.same(await store.users.findById(record.id), record);
    t.same(await store.users.findByUsernameKey('zoë.ünïcode'), record);
  });

  t.test('a taken username key is refused and stores nothing', async (t) => {
    const first = user();
    const second = user({ usernameKey: first.usernameKey, username: first.username.toUpperCase() });
    t.equal(await store.users.create(first), true);
    t.equal(await store.users.create(second), false);
    t.equal(await store.users.findById(second.id), undefined, 'the loser is not stored');
    t.equal((await store.users.findByUsernameKey(first.usernameKey))?.id, first.id);
  });

  t.test('concurrent creates of one username: exactly one wins', async (t) => {
    const key = `race-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => store.users.create(user({ usernameKey: key }))));
    t.equal(results.filter(Boolean).length, 1);
  });

  t.test('unknown ids and names are undefined', async (t) => {
    t.equal(await store.users.findById(randomUUID()), undefined);
    t.equal(await store.users.findByUsernameKey('nobody-' + randomUUID()), undefined);
  });

  t.test('setPasswordHash replaces the hash of an existing user only', async (t) => {
    const record = user();
    await store.users.create(record);
    t.equal(await store.users.setPasswordHash(record.id, 'new-hash'), true);
    t.equal((await store.users.findById(record.id))?.passwordHash, 'new-hash');
    const ghost = randomUUID();
    t.equal(await store.users.setPasswordHash(ghost, 'x'), false);
    t.equal(await store.users.findById(ghost), undefined, 'no stray record is created');
  });

  t.test('records are copies: changing one does not change what is stored', async (t) => {
    const record = user();
    await store.users.create(record);
    record.passwordHash = 'tampered';
    const found = (await store.users.findById(record.id))!;
    t.not(found.passwordHash, 'tampered');
    found.disabled = true;
    t.equal((await store.users.findById(record.id))?.disabled, false);
  });

  t.test('a session is stored and read back field for field', async (t) => {
    const record = session();
    await store.sessions.create(record, 60);
    t.same(await store.sessions.get(record.sid), record);
    t.equal(await store.sessions.get(randomUUID()), undefined);
  });

  t.test('a session expires after its TTL, as a Redis key does', async (t) => {
    const record = session();
    await store.sessions.create(record, 1);
    t.ok(await store.sessions.get(record.sid), 'present before the TTL');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    t.equal(await store.sessions.get(record.sid), undefined, 'gone after the TTL');
  });
}
