import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type {
  AuthorizationCodeRecord,
  DeviceAuthorizationRecord,
  PasskeyRecord,
  RotationRequest,
  SessionRecord,
  SignInRecord,
  Store,
  UserRecord,
} from '../../src/store/types.js';

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  const id = randomUUID();
  return {
    id,
    username: `user-${id.slice(0, 8)}`,
    usernameKey: `user-${id.slice(0, 8)}`,
    passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA',
    createdAt: 1_700_000_000,
    disabled: false,
    ...overrides,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    sid: randomUUID(),
    userId: randomUUID(),
    clientId: 'web',
    scope: 'profile orders:read',
    createdAt: nowSeconds(),
    lastUsedAt: nowSeconds(),
    expiresAt: nowSeconds() + 3600,
    userAgent: 'Mozilla/5.0 (X11) «ü»',
    ip: '127.0.0.1',
    ...overrides,
  };
}

/**
 * The storage contract: every adapter runs these same tests (against a real Redis server for the
 * Redis store), as node-oidc-provider runs one suite against every adapter. Time is real: Redis expires keys by its own clock.
 */
export function storeContract(t: Test, open: () => Promise<Store>): void {
  let store: Store;
  t.beforeEach(async () => {
    store = await open();
  });
  t.afterEach(async () => {
    await store.close();
  });

  /** A user with a session whose refresh token hash is `rt-0`. */
  async function userWithSession(overrides: Partial<SessionRecord> = {}) {
    const owner = user();
    await store.users.create(owner);
    const record = session({ userId: owner.id, ...overrides });
    await store.sessions.create(record, { refreshTokenHash: `rt-0-${record.sid}`, idleTtl: 600 });
    return { owner, record, first: `rt-0-${record.sid}` };
  }

  function rotation(tokenHash: string, newTokenHash: string, overrides: Partial<RotationRequest> = {}): RotationRequest {
    return {
      tokenHash,
      clientId: 'web',
      newTokenHash,
      sealedSuccessor: `sealed:${newTokenHash}`,
      graceMs: 10_000,
      idleTtl: 600,
      revokedTtl: 900,
      ...overrides,
    };
  }

  t.test('ping answers while the store is up', async (t) => {
    await t.resolves(store.ping());
  });

  t.test('a created user is found by id and by username key, field for field', async (t) => {
    const record = user({ username: 'Zoë.Ünïcode', usernameKey: 'zoë.ünïcode', disabled: true });
    t.equal(await store.users.create(record), 'created');
    t.same(await store.users.findById(record.id), record);
    t.same(await store.users.findByUsernameKey('zoë.ünïcode'), record);
  });

  t.test('a taken username key is refused and stores nothing', async (t) => {
    const first = user();
    const second = user({ usernameKey: first.usernameKey, username: first.username.toUpperCase() });
    t.equal(await store.users.create(first), 'created');
    t.equal(await store.users.create(second), 'username_taken');
    t.equal(await store.users.findById(second.id), undefined, 'the loser is not stored');
    t.equal((await store.users.findByUsernameKey(first.usernameKey))?.id, first.id);
  });

  t.test('concurrent creates of one username: exactly one wins', async (t) => {
    const key = `race-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => store.users.create(user({ usernameKey: key }))));
    t.equal(results.filter((result) => result === 'created').length, 1);
  });

  t.test('an address is stored with the user, found by its key, and unique across users', async (t) => {
    const key = `zoë.${randomUUID()}@example.com`;
    const owner = user({ email: { address: key.replace('zoë', 'Zoë'), key, verified: false } });
    t.equal(await store.users.create(owner), 'created');
    t.same(await store.users.findById(owner.id), owner, 'field for field');
    t.same(await store.users.findByEmailKey(key), owner);
    const rival = user({ email: { address: key, key, verified: true } });
    t.equal(await store.users.create(rival), 'email_taken');
    t.equal(await store.users.findById(rival.id), undefined, 'the loser is not stored');
    t.equal(await store.users.findByUsernameKey(rival.usernameKey), undefined, 'nor its name claimed');
    t.equal(await store.users.create(user({ usernameKey: rival.usernameKey })), 'created', 'its name is free');
    t.equal(await store.users.findByEmailKey(`nobody-${randomUUID()}@example.com`), undefined);
  });

  t.test('concurrent creates with one address: exactly one wins', async (t) => {
    const key = `race-${randomUUID()}@example.com`;
    const results = await Promise.all(Array.from({ length: 20 }, () => store.users.create(user({ email: { address: key, key, verified: false } }))));
    t.equal(results.filter((result) => result === 'created').length, 1);
    t.equal(results.filter((result) => result === 'email_taken').length, 19);
  });

  t.test('setEmail replaces, frees and refuses addresses; markEmailVerified needs the current one', async (t) => {
    const first = `first-${randomUUID()}@example.com`;
    const second = `second-${randomUUID()}@example.com`;
    const owner = user({ email: { address: first, key: first, verified: true } });
    const other = user();
    await store.users.create(owner);
    await store.users.create(other);
    t.equal(await store.users.setEmail(other.id, { address: first, key: first, verified: false }), 'taken');
    t.equal((await store.users.findById(other.id))?.email, undefined, 'the refused address is not written');
    t.equal(await store.users.setEmail(owner.id, { address: second, key: second, verified: false }), 'set');
    t.same((await store.users.findById(owner.id))?.email, { address: second, key: second, verified: false });
    t.equal(await store.users.findByEmailKey(first), undefined, 'the old address is freed');
    t.equal((await store.users.findByEmailKey(second))?.id, owner.id);
    t.equal(await store.users.markEmailVerified(owner.id, first), false, 'not the current address');
    t.equal(await store.users.markEmailVerified(owner.id, second), true);
    t.equal((await store.users.findById(owner.id))?.email?.verified, true);
    t.equal(await store.users.setEmail(other.id, { address: first, key: first, verified: false }), 'set', 'the freed address is free');
    t.equal(await store.users.setEmail(owner.id, undefined), 'set');
    t.equal((await store.users.findById(owner.id))?.email, undefined, 'removed');
    t.equal(await store.users.findByEmailKey(second), undefined);
    t.equal(await store.users.markEmailVerified(owner.id, second), false, 'no address to verify');
    const ghost = randomUUID();
    t.equal(await store.users.setEmail(ghost, { address: second, key: second, verified: false }), 'missing');
    t.equal(await store.users.findByEmailKey(second), undefined, 'a missing user claims nothing');
    t.equal(await store.users.markEmailVerified(ghost, second), false);
    t.equal(await store.users.findById(ghost), undefined, 'no stray record is created');
    t.equal((await store.users.delete(other.id))?.email?.key, first, 'delete answers the address');
    t.equal(await store.users.findByEmailKey(first), undefined, 'a deleted user frees its address');
    t.equal(await store.users.create(user({ email: { address: first, key: first, verified: false } })), 'created');
  });

  t.test('an emailed link is read without spending it, taken once, and expires', async (t) => {
    const record = { purpose: 'reset_password' as const, userId: randomUUID(), address: 'Ann@example.com', passwordStamp: 'stamp', createdAt: nowSeconds() };
    const hash = `link-${randomUUID()}`;
    await store.emailLinks.create(hash, record, 60_000);
    t.same(await store.emailLinks.peek(hash), record, 'field for field');
    t.same(await store.emailLinks.peek(hash), record, 'peeking spends nothing');
    const takes = await Promise.all(Array.from({ length: 10 }, () => store.emailLinks.take(hash)));
    t.equal(takes.filter(Boolean).length, 1, 'of ten concurrent takers, one gets it');
    t.same(takes.find(Boolean), record);
    t.equal(await store.emailLinks.peek(hash), undefined, 'spent');
    const short = `link-${randomUUID()}`;
    await store.emailLinks.create(short, record, 100);
    await sleep(250);
    t.equal(await store.emailLinks.take(short), undefined, 'expired');
  });

  t.test('the outbox: a queued mail is claimed once, leased, settled only by its lease holder, and listed per user', async (t) => {
    const userId = randomUUID();
    const base = Date.now();
    const mail = (n: number) => ({
      id: randomUUID(),
      userId,
      kind: 'verify_email',
      to: `ann${n}@example.com`,
      subject: `Subject ${n} «ü»`,
      text: `text ${n}`,
      html: `<p>html ${n}</p>`,
      createdAt: base + n,
    });
    const first = mail(1);
    const second = mail(2);
    await store.outbox.enqueue(first, 60_000);
    await store.outbox.enqueue(second, 60_000);
    const claims = await Promise.all(Array.from({ length: 5 }, () => store.outbox.claim(base + 10, 1000, 10)));
    const claimed = claims.flat().filter((claim) => claim.message.userId === userId);
    t.same(claimed.map((claim) => claim.message.id).sort(), [first.id, second.id].sort(), 'five concurrent claimers get each mail once');
    t.same(claimed.find((claim) => claim.message.id === first.id)?.message, first, 'field for field');
    t.equal(claimed[0]!.attempts, 0, 'no try before this one');
    t.same(
      (await store.outbox.claim(base + 500, 1000, 10)).filter((claim) => claim.message.userId === userId),
      [],
      'not due again while leased',
    );
    const firstClaim = claimed.find((claim) => claim.message.id === first.id)!;
    const secondClaim = claimed.find((claim) => claim.message.id === second.id)!;
    t.equal(await store.outbox.sent(first.id, 'another-lease', base + 20), false, 'only the lease holder settles');
    t.equal(await store.outbox.sent(first.id, firstClaim.lease, base + 20), true);
    t.equal(await store.outbox.failed(second.id, secondClaim.lease, base + 20, '421 try later', base + 100), true);
    const again = (await store.outbox.claim(base + 2000, 1000, 10)).filter((claim) => claim.message.userId === userId);
    t.same(
      again.map((claim) => [claim.message.id, claim.attempts]),
      [[second.id, 1]],
      'the failed one is due again, with its try counted; the sent one never',
    );
    t.equal(await store.outbox.failed(second.id, secondClaim.lease, base + 2000, 'stale', base + 3000), false, 'the old lease is void');
    t.equal(await store.outbox.failed(second.id, again[0]!.lease, base + 2010, '550 no such mailbox', undefined), true);
    t.same(
      (await store.outbox.claim(base + 100_000, 1000, 10)).filter((claim) => claim.message.userId === userId),
      [],
      'given up: never due again',
    );
    const listed = await store.outbox.listForUser(userId, 10);
    t.same(
      listed.map((entry) => [entry.id, entry.state, entry.attempts]),
      [
        [second.id, 'failed', 2],
        [first.id, 'sent', 1],
      ],
      'newest first, with state and tries',
    );
    t.equal(listed[0]!.lastError, '550 no such mailbox');
    t.notOk('subject' in listed[0]! || 'text' in listed[0]!, 'never the body');
    t.same(await store.outbox.listForUser(randomUUID(), 10), []);
  });

  t.test('an outbox claim whose holder died is taken over when its lease ends', async (t) => {
    const message = { id: randomUUID(), userId: '', kind: 'reset_password', to: 'bo@example.com', subject: 's', text: 't', html: 'h', createdAt: Date.now() };
    await store.outbox.enqueue(message, 60_000);
    const now = message.createdAt + 10;
    const [held] = (await store.outbox.claim(now, 1000, 100)).filter((claim) => claim.message.id === message.id);
    t.ok(held, 'claimed');
    const [taken] = (await store.outbox.claim(now + 1001, 1000, 100)).filter((claim) => claim.message.id === message.id);
    t.equal(taken?.attempts, 1, 'another claimer takes it over after the lease');
    t.equal(await store.outbox.sent(message.id, held!.lease, now + 1100), false, 'the dead holder cannot settle it');
    t.equal(await store.outbox.sent(message.id, taken!.lease, now + 1100), true);
  });

  t.test('known browsers: new once per user, and forgotten when their keep ends', async (t) => {
    const userId = randomUUID();
    t.equal(await store.knownBrowsers.remember(userId, 'browser-a', 60_000), true, 'new');
    t.equal(await store.knownBrowsers.remember(userId, 'browser-a', 60_000), false, 'known');
    t.equal(await store.knownBrowsers.remember(userId, 'browser-b', 60_000), true, 'another browser is new');
    t.equal(await store.knownBrowsers.remember(randomUUID(), 'browser-a', 60_000), true, 'new to another user');
    const brief = randomUUID();
    await store.knownBrowsers.remember(brief, 'browser-a', 100);
    await sleep(250);
    t.equal(await store.knownBrowsers.remember(brief, 'browser-a', 60_000), true, 'forgotten after its keep');
  });

  t.test('an authenticator app: each code step accepted once and only forward; removed and cleared', async (t) => {
    const userId = randomUUID();
    t.equal(await store.mfa.totp(userId), undefined);
    t.equal(await store.mfa.useTotpStep(userId, 5), false, 'no app, no step');
    const factor = { secret: 'JBSWY3DPEHPK3PXP', createdAt: 1_700_000_000, lastStep: -1 };
    await store.mfa.setTotp(userId, factor);
    t.same(await store.mfa.totp(userId), factor, 'field for field');
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => store.mfa.useTotpStep(userId, 100)));
    t.equal(concurrent.filter(Boolean).length, 1, 'one code step, ten concurrent uses: one accepted');
    t.equal(await store.mfa.useTotpStep(userId, 99), false, 'an earlier step after a later one');
    t.equal(await store.mfa.useTotpStep(userId, 101), true);
    t.equal((await store.mfa.totp(userId))?.lastStep, 101);
    t.equal(await store.mfa.removeTotp(userId), true);
    t.equal(await store.mfa.removeTotp(userId), false);
    t.equal(await store.mfa.totp(userId), undefined);
  });

  t.test('recovery codes: each spent once, a new set voids the old, clear forgets everything', async (t) => {
    const userId = randomUUID();
    t.equal(await store.mfa.recoveryCodesLeft(userId), 0);
    await store.mfa.setRecoveryCodes(userId, ['h1', 'h2', 'h3']);
    t.equal(await store.mfa.recoveryCodesLeft(userId), 3);
    const spends = await Promise.all(Array.from({ length: 5 }, () => store.mfa.useRecoveryCode(userId, 'h2')));
    t.same(
      spends.filter((left) => left !== undefined),
      [2],
      'five concurrent uses of one code: one spends it',
    );
    t.equal(await store.mfa.useRecoveryCode(userId, 'h9'), undefined, 'not a code of the user');
    t.equal(await store.mfa.useRecoveryCode(randomUUID(), 'h1'), undefined, "another user's");
    await store.mfa.setRecoveryCodes(userId, ['n1', 'n2']);
    t.equal(await store.mfa.useRecoveryCode(userId, 'h1'), undefined, 'the old set is void');
    t.equal(await store.mfa.useRecoveryCode(userId, 'n1'), 1);
    await store.mfa.setTotp(userId, { secret: 'JBSWY3DPEHPK3PXP', createdAt: 1, lastStep: -1 });
    await store.mfa.clear(userId);
    t.equal(await store.mfa.recoveryCodesLeft(userId), 0);
    t.equal(await store.mfa.totp(userId), undefined);
  });

  t.test('passkeys: found by credential id, one owner per id, renamed, the counter only forward, removed and cleared', async (t) => {
    const userId = randomUUID();
    const other = randomUUID();
    const passkey = (id: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord => ({
      id,
      userId,
      name: 'Work laptop «ü»',
      publicKey: 'pQECAyYgASFYIA',
      counter: 3,
      transports: ['internal', 'hybrid'],
      backupEligible: true,
      backedUp: false,
      createdAt: 1_700_000_000,
      lastUsedAt: 0,
      ...overrides,
    });
    const first = passkey(`cred-${randomUUID()}`);
    const second = passkey(`cred-${randomUUID()}`, { createdAt: 1_700_000_100, transports: [], backupEligible: false, counter: 0 });
    t.same(await store.passkeys.list(userId), []);
    t.equal(await store.passkeys.find(first.id), undefined);
    t.equal(await store.passkeys.add(first), true);
    t.equal(await store.passkeys.add(second), true);
    t.same(await store.passkeys.list(userId), [first, second], 'field for field, oldest first');
    t.same(await store.passkeys.find(second.id), second, 'found by credential id alone');
    t.equal(await store.passkeys.add({ ...first, userId: other }), false, 'a credential id registered already, to anyone');
    t.same(await store.passkeys.list(other), []);

    t.equal(await store.passkeys.rename(userId, first.id, 'Phone'), true);
    t.equal(await store.passkeys.rename(other, first.id, 'Stolen'), false, "another user's passkey");
    t.equal((await store.passkeys.find(first.id))?.name, 'Phone');

    const uses = await Promise.all(
      Array.from({ length: 10 }, () => store.passkeys.recordUse(userId, first.id, { counter: 4, backedUp: true, usedAt: 1_700_000_500 })),
    );
    t.same(
      uses.filter((use) => use === 'recorded'),
      ['recorded'],
      'one counter value, ten concurrent uses: one recorded',
    );
    t.equal(await store.passkeys.recordUse(userId, first.id, { counter: 2, backedUp: true, usedAt: 1 }), 'stale_counter', 'a counter that went back');
    t.match(await store.passkeys.find(first.id), { counter: 4, backedUp: true, lastUsedAt: 1_700_000_500 });
    t.equal(await store.passkeys.recordUse(userId, second.id, { counter: 0, backedUp: false, usedAt: 7 }), 'recorded', 'no counter at all: 0 after 0');
    t.equal(await store.passkeys.recordUse(userId, second.id, { counter: 0, backedUp: false, usedAt: 8 }), 'recorded');
    t.equal(await store.passkeys.recordUse(other, first.id, { counter: 9, backedUp: false, usedAt: 9 }), 'gone', "another user's");

    t.equal(await store.passkeys.remove(other, first.id), false);
    t.equal(await store.passkeys.remove(userId, first.id), true);
    t.equal(await store.passkeys.remove(userId, first.id), false);
    t.equal(await store.passkeys.find(first.id), undefined);
    t.equal(await store.passkeys.recordUse(userId, first.id, { counter: 9, backedUp: false, usedAt: 9 }), 'gone');
    t.equal(await store.passkeys.add({ ...first, userId: other }), true, 'a removed credential id is free again');
    t.equal((await store.passkeys.find(first.id))?.userId, other);

    await store.passkeys.clear(userId);
    t.same(await store.passkeys.list(userId), []);
    t.equal(await store.passkeys.find(second.id), undefined);
    t.equal((await store.passkeys.find(first.id))?.userId, other, "another user's passkey stays");
  });

  t.test('passkey challenges: each taken once, expiring', async (t) => {
    const record = { purpose: 'add' as const, binding: 'b-hash', userId: randomUUID(), name: 'Laptop' };
    await store.passkeyChallenges.create('c1', record, 60_000);
    const takes = await Promise.all(Array.from({ length: 5 }, () => store.passkeyChallenges.take('c1')));
    t.same(
      takes.filter((taken) => taken !== undefined),
      [record],
      'five concurrent takers: one gets it, field for field',
    );
    await store.passkeyChallenges.create('c2', { purpose: 'sign-in', binding: 'b' }, 100);
    await sleep(250);
    t.equal(await store.passkeyChallenges.take('c2'), undefined, 'expired');
  });

  t.test('identity links: one account per upstream identity, found by issuer and subject, unlinked and cleared', async (t) => {
    const userId = randomUUID();
    const other = randomUUID();
    const subject = `sub-${randomUUID()} «ü»/:*`;
    const GITLAB = 'https://gitlab.example';
    const OKTA = 'https://okta.example';
    const link = { providerId: 'gitlab', issuer: GITLAB, subject, userId, linkedAt: 1_700_000_000 };
    t.equal(await store.identityLinks.find(GITLAB, subject), undefined);
    const claims = await Promise.all([other, userId, other].map((owner) => store.identityLinks.link({ ...link, userId: owner })));
    t.equal(claims.filter(Boolean).length, 1, 'three concurrent links of one identity: one wins');
    const owner = await store.identityLinks.find(GITLAB, subject);
    t.ok(owner === userId || owner === other);
    await store.identityLinks.clear(other);
    await store.identityLinks.clear(userId);
    t.equal(await store.identityLinks.find(GITLAB, subject), undefined, 'cleared');

    t.equal(await store.identityLinks.link(link), true);
    const atOkta = { ...link, providerId: 'okta', issuer: OKTA, linkedAt: 1_700_000_100 };
    t.equal(await store.identityLinks.link(atOkta), true, 'the same subject at another issuer is another identity');
    t.equal(await store.identityLinks.link({ ...link, providerId: 'renamed', userId: other }), false, 'the provider id is not part of the identity');
    t.equal(await store.identityLinks.find(GITLAB, subject), userId);
    t.equal(await store.identityLinks.find(GITLAB, subject.toUpperCase()), undefined, 'subjects compare exactly');
    t.same(await store.identityLinks.listForUser(userId), [link, atOkta], 'oldest first, field for field');
    t.equal(await store.identityLinks.unlink(other, GITLAB, subject), false, "another user's link");
    t.equal(await store.identityLinks.unlink(userId, GITLAB, subject), true);
    t.equal(await store.identityLinks.unlink(userId, GITLAB, subject), false);
    t.equal(await store.identityLinks.find(GITLAB, subject), undefined);
    t.equal(await store.identityLinks.link({ ...link, userId: other }), true, 'an unlinked identity may link again');
    await store.identityLinks.clear(userId);
    t.same(await store.identityLinks.listForUser(userId), []);
    t.equal(await store.identityLinks.find(OKTA, subject), undefined);
    t.equal(await store.identityLinks.find(GITLAB, subject), other, "another user's link stays");
  });

  t.test('unknown ids and names are undefined', async (t) => {
    t.equal(await store.users.findById(randomUUID()), undefined);
    t.equal(await store.users.findByUsernameKey('nobody-' + randomUUID()), undefined);
  });

  t.test('setPasswordHash and setDisabled change an existing user only', async (t) => {
    const record = user();
    await store.users.create(record);
    t.equal(await store.users.setPasswordHash(record.id, 'new-hash'), true);
    t.equal((await store.users.findById(record.id))?.passwordChangedAt, undefined, 'a rehash is no change by the owner');
    t.equal(await store.users.setPasswordHash(record.id, 'changed-hash', 1_700_000_100), true);
    t.equal(await store.users.setDisabled(record.id, true), true);
    t.same(await store.users.findById(record.id), { ...record, passwordHash: 'changed-hash', passwordChangedAt: 1_700_000_100, disabled: true });
    t.equal(await store.users.setDisabled(record.id, false), true);
    t.equal((await store.users.findById(record.id))?.disabled, false);
    const ghost = randomUUID();
    t.equal(await store.users.setPasswordHash(ghost, 'x'), false);
    t.equal(await store.users.setDisabled(ghost, true), false);
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

  t.test('a session is stored and read back field for field, and found by its refresh token', async (t) => {
    const { record, first } = await userWithSession();
    t.same(await store.sessions.get(record.sid), record);
    t.same(await store.sessions.findByRefreshToken(first), { session: record, current: true });
    t.equal(await store.sessions.get(randomUUID()), undefined);
    t.equal(await store.sessions.findByRefreshToken('unknown'), undefined);
  });

  t.test('a session keeps the resource its tokens are meant for (RFC 8707) and how the person signed in', async (t) => {
    const record = session({ resource: 'https://mcp.example/mcp', authTime: nowSeconds(), amr: ['pwd', 'otp', 'mfa'] });
    await store.sessions.create(record, { refreshTokenHash: `rt-${randomUUID()}`, idleTtl: 600 });
    t.same(await store.sessions.get(record.sid), record);
  });

  t.test('a session expires after its idle TTL, as a Redis key does', async (t) => {
    const owner = user();
    const record = session({ userId: owner.id });
    await store.sessions.create(record, { idleTtl: 1 });
    t.ok(await store.sessions.get(record.sid), 'present before the TTL');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    t.equal(await store.sessions.get(record.sid), undefined, 'gone after the TTL');
    t.same(await store.sessions.listForUser(owner.id), [], 'and no longer listed');
  });

  t.test('rotation: the current token is spent for the new one; the old one is then the predecessor', async (t) => {
    const { record, first } = await userWithSession();
    const rotated = await store.sessions.rotate(rotation(first, 'rt-1'));
    t.equal(rotated.outcome, 'rotated');
    t.equal(rotated.outcome === 'rotated' && rotated.session.sid, record.sid);
    t.same(await store.sessions.findByRefreshToken('rt-1'), { session: await store.sessions.get(record.sid), current: true });
    t.same((await store.sessions.findByRefreshToken(first))?.current, false, 'the spent token still names its session, as not current');
    const again = await store.sessions.rotate(rotation('rt-1', 'rt-2'));
    t.equal(again.outcome, 'rotated', 'the new token rotates in turn');
  });

  t.test('a session bound to a DPoP key rotates for that key alone; another or none changes nothing (RFC 9449 §5)', async (t) => {
    const { record, first } = await userWithSession({ dpopJkt: 'jkt-a' });
    t.equal((await store.sessions.get(record.sid))?.dpopJkt, 'jkt-a', 'the binding is stored with the session');
    t.same(await store.sessions.rotate(rotation(first, 'rt-x')), { outcome: 'wrong_key' }, 'no proof');
    t.same(await store.sessions.rotate(rotation(first, 'rt-y', { dpopJkt: 'jkt-b' })), { outcome: 'wrong_key' }, 'another key');
    const rotated = await store.sessions.rotate(rotation(first, 'rt-1', { dpopJkt: 'jkt-a' }));
    t.equal(rotated.outcome, 'rotated', 'the token was not spent by the refusals');
    t.equal(rotated.outcome === 'rotated' && rotated.session.dpopJkt, 'jkt-a', 'and the binding stays');
    const unbound = await userWithSession();
    t.equal((await store.sessions.rotate(rotation(unbound.first, 'rt-u', { dpopJkt: 'jkt-a' }))).outcome, 'rotated', 'an unbound session takes any request');
  });

  t.test('grace: the predecessor within the grace gets the sealed successor and changes nothing', async (t) => {
    const { record, first } = await userWithSession();
    await store.sessions.rotate(rotation(first, 'rt-1'));
    const grace = await store.sessions.rotate(rotation(first, 'rt-unused'));
    t.same(grace.outcome === 'grace' && [grace.session.sid, grace.sealedSuccessor, grace.successorHash], [record.sid, 'sealed:rt-1', 'rt-1']);
    t.equal((await store.sessions.rotate(rotation('rt-1', 'rt-2'))).outcome, 'rotated', 'rt-1 stayed current');
  });

  t.test('reuse: the predecessor after the grace revokes the whole session', async (t) => {
    const { record, first } = await userWithSession();
    await store.sessions.rotate(rotation(first, 'rt-1'));
    await store.sessions.markDelivered(record.sid, 'rt-1');
    await sleep(120);
    const reused = await store.sessions.rotate(rotation(first, 'rt-x', { graceMs: 100 }));
    t.same(reused, { outcome: 'reused', sid: record.sid, userId: record.userId }, 'the user is named, for the audit log');
    t.equal(await store.sessions.get(record.sid), undefined);
    t.equal(await store.revocations.isRevoked({ jti: 'none', sid: record.sid }), true);
    t.same(await store.sessions.rotate(rotation('rt-1', 'rt-2')), { outcome: 'invalid' }, 'the newest token died with it');
  });

  t.test('reuse: a token older than the predecessor revokes at once, grace or not', async (t) => {
    const { record, first } = await userWithSession();
    await store.sessions.rotate(rotation(first, 'rt-1'));
    await store.sessions.rotate(rotation('rt-1', 'rt-2'));
    t.equal((await store.sessions.rotate(rotation(first, 'rt-x'))).outcome, 'reused');
    t.equal(await store.sessions.get(record.sid), undefined);
  });

  t.test('a grace of 0 makes any second use a reuse', async (t) => {
    const { first, record } = await userWithSession();
    await store.sessions.rotate(rotation(first, 'rt-1', { graceMs: 0 }));
    await store.sessions.markDelivered(record.sid, 'rt-1');
    await sleep(2);
    t.equal((await store.sessions.rotate(rotation(first, 'rt-x', { graceMs: 0 }))).outcome, 'reused');
  });

  t.test('another client, an unknown token, a disabled user', async (t) => {
    const { owner, record, first } = await userWithSession();
    t.same(await store.sessions.rotate(rotation(first, 'rt-1', { clientId: 'other' })), { outcome: 'invalid' });
    t.ok(await store.sessions.get(record.sid), 'another client changes nothing');
    t.same(await store.sessions.rotate(rotation('never-issued', 'rt-1')), { outcome: 'invalid' });
    await store.users.setDisabled(owner.id, true);
    t.same(await store.sessions.rotate(rotation(first, 'rt-1')), { outcome: 'inactive_user', sid: record.sid });
    t.equal(await store.sessions.get(record.sid), undefined, "a disabled user's session ends");
  });

  t.test('a session past its absolute expiry does not rotate, whatever its idle TTL', async (t) => {
    const { first } = await userWithSession({ expiresAt: nowSeconds() + 1 });
    await sleep(nowSeconds() * 1000 + 1100 - Date.now());
    t.same(await store.sessions.rotate(rotation(first, 'rt-1')), { outcome: 'invalid' });
  });

  t.test('50 concurrent rotations of one token: one rotates, the rest get the grace, one family branch', async (t) => {
    const { first } = await userWithSession();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.sessions.rotate(rotation(first, `rt-new-${i}`))));
    const rotated = results.filter((r) => r.outcome === 'rotated');
    t.equal(rotated.length, 1);
    const winner = results.findIndex((r) => r.outcome === 'rotated');
    t.ok(results.every((r) => r.outcome === 'rotated' || (r.outcome === 'grace' && r.sealedSuccessor === `sealed:rt-new-${winner}`)));
    t.same((await store.sessions.rotate(rotation(`rt-new-${(winner + 1) % 50}`, 'x'))).outcome, 'invalid', "losers' tokens were never stored");
  });

  t.test('sessions are listed per user; end and endAllForUser revoke', async (t) => {
    const owner = user();
    await store.users.create(owner);
    const [a, b, c] = [0, 1, 2].map((i) => session({ userId: owner.id, createdAt: nowSeconds() + i }));
    for (const record of [a!, b!, c!]) await store.sessions.create(record, { idleTtl: 600 });
    const other = session();
    await store.sessions.create(other, { idleTtl: 600 });
    t.same(
      (await store.sessions.listForUser(owner.id)).map((s) => s.sid),
      [a!.sid, b!.sid, c!.sid],
    );
    t.same(await store.sessions.end(a!.sid, 900), a);
    t.equal(await store.revocations.isRevoked({ jti: 'none', sid: a!.sid }), true);
    t.equal(await store.sessions.end(a!.sid, 900), undefined, 'ending twice finds nothing');
    t.equal(await store.sessions.endAllForUser(owner.id, 900, c!.sid), 1, 'b ends, c is kept');
    t.same(
      (await store.sessions.listForUser(owner.id)).map((s) => s.sid),
      [c!.sid],
    );
    t.equal(await store.revocations.isRevoked({ jti: 'none', sid: b!.sid }), true);
    t.equal(await store.revocations.isRevoked({ jti: 'none', sid: c!.sid }), false);
    t.ok(await store.sessions.get(other.sid), "another user's session is untouched");
  });

  t.test('a revoked jti is listed for its TTL only; either list makes a token revoked', async (t) => {
    await store.revocations.revokeAccessToken('jti-1', 1);
    t.equal(await store.revocations.isRevoked({ jti: 'jti-1' }), true);
    t.equal(await store.revocations.isRevoked({ jti: 'jti-1', sid: 'live-sid' }), true);
    t.equal(await store.revocations.isRevoked({ jti: 'jti-2', sid: 'live-sid' }), false);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    t.equal(await store.revocations.isRevoked({ jti: 'jti-1' }), false);
  });

  t.test("the snapshot lists every live revocation, jtis and sids, with its expiry, and the feed's subscriber hears new ones", async (t) => {
    const heard: string[] = [];
    const unsubscribe = await store.revocations.subscribe({ entry: (entry) => heard.push(`${entry.kind}:${entry.id}`), up: () => {}, down: () => {} });
    t.teardown(unsubscribe);
    const record = session();
    await store.sessions.create(record, { idleTtl: 600 });
    const jti = `jti-${randomUUID()}`;
    await store.revocations.revokeAccessToken(jti, 600);
    await store.sessions.end(record.sid, 600);
    const entries = await store.revocations.snapshot();
    const listed = entries.filter((entry) => entry.id === jti || entry.id === record.sid);
    t.same(listed.map((entry) => entry.kind).sort(), ['jti', 'sid']);
    t.ok(
      listed.every((entry) => Math.abs(entry.exp - (nowSeconds() + 600)) <= 2),
      'each expires with its TTL',
    );
    const deadline = Date.now() + 2000;
    while (heard.length < 2 && Date.now() < deadline) await sleep(10);
    t.same(heard.sort(), [`jti:${jti}`, `sid:${record.sid}`].sort(), 'the subscriber heard both');
  });

  t.test('a revoked sid is listed for the revoked TTL only', async (t) => {
    const record = session();
    await store.sessions.create(record, { idleTtl: 600 });
    await store.sessions.end(record.sid, 1);
    t.equal(await store.revocations.isRevoked({ jti: 'none', sid: record.sid }), true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    t.equal(await store.revocations.isRevoked({ jti: 'none', sid: record.sid }), false);
  });

  t.test('an undelivered successor: its predecessor gets it again past the grace; once delivered, that is reuse', async (t) => {
    const { record, first } = await userWithSession();
    await store.sessions.rotate(rotation(first, 'rt-1'));
    await sleep(120);
    const late = await store.sessions.rotate(rotation(first, 'rt-x', { graceMs: 100 }));
    t.same(
      late.outcome === 'grace' && [late.sealedSuccessor, late.successorHash],
      ['sealed:rt-1', 'rt-1'],
      'the answer to the rotation may never have arrived',
    );
    await store.sessions.markDelivered(record.sid, 'rt-x');
    t.equal(
      (await store.sessions.rotate(rotation(first, 'rt-y', { graceMs: 100 }))).outcome,
      'grace',
      'marking a token that is not the current one changes nothing',
    );
    await store.sessions.markDelivered(record.sid, 'rt-1');
    t.same(
      await store.sessions.rotate(rotation(first, 'rt-z', { graceMs: 100 })),
      { outcome: 'reused', sid: record.sid, userId: record.userId },
      'handed out: the predecessor again is reuse',
    );
  });

  t.test('password failures are counted on a live session, in the session, and end with it', async (t) => {
    const { record } = await userWithSession();
    t.equal(await store.sessions.countPasswordFailure(record.sid), 1);
    t.equal(await store.sessions.countPasswordFailure(record.sid), 2);
    t.same(await store.sessions.get(record.sid), record, 'the count is not part of the session record');
    await store.sessions.end(record.sid, 900);
    t.equal(await store.sessions.countPasswordFailure(record.sid), 0, 'an ended session counts nothing');
    t.equal(await store.sessions.get(record.sid), undefined, 'and is not brought back');
  });

  t.test('a password attempt is reserved only while the record holds the expected count', async (t) => {
    const key = `account-${randomUUID()}`;
    const first = await store.loginFailures.reserve(key, 0, 1000, 60_000);
    t.equal(first.counted, true);
    t.match(first.record, { count: 1, lastAt: 1000 });
    t.ok(first.record!.resetsInMs > 59_000 && first.record!.resetsInMs <= 60_000, 'the window starts with the first attempt');
    const stale = await store.loginFailures.reserve(key, 0, 2000, 60_000);
    t.equal(stale.counted, false, 'a look at an older record counts nothing');
    t.match(stale.record, { count: 1, lastAt: 1000 });
    t.match((await store.loginFailures.reserve(key, 1, 3000, 60_000)).record, { count: 2, lastAt: 3000 });
    await store.loginFailures.clear(key);
    const cleared = await store.loginFailures.reserve(key, 2, 4000, 60_000);
    t.same(cleared, { counted: false, record: undefined }, 'no record after clear');
  });

  t.test('50 concurrent reservations expecting the same count: exactly one is counted', async (t) => {
    const key = `account-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 50 }, () => store.loginFailures.reserve(key, 0, 1000, 60_000)));
    t.equal(results.filter((result) => result.counted).length, 1);
    t.ok(results.every((result) => result.record?.count === 1));
  });

  t.test('an attempt record expires with its window', async (t) => {
    const key = `account-${randomUUID()}`;
    await store.loginFailures.reserve(key, 0, Date.now(), 200);
    await sleep(300);
    t.same(await store.loginFailures.reserve(key, 5, Date.now(), 200), { counted: false, record: undefined });
  });

  t.test('rate-limit hits count within a window that starts with the first hit, and start over after it', async (t) => {
    const key = `bucket-${randomUUID()}`;
    const first = await store.rateLimits.hit(key, 200);
    t.equal(first.current, 1);
    t.ok(first.ttlMs > 0 && first.ttlMs <= 200, `the window's time left (${first.ttlMs} ms)`);
    const second = await store.rateLimits.hit(key, 200);
    t.equal(second.current, 2);
    t.ok(second.ttlMs <= first.ttlMs, 'a later hit does not extend the window');
    t.equal((await store.rateLimits.hit(`bucket-${randomUUID()}`, 200)).current, 1, 'each key counts alone');
    await sleep(300);
    t.equal((await store.rateLimits.hit(key, 200)).current, 1, 'a new window after the old one ended');
  });

  function signIn(overrides: Partial<SignInRecord> = {}): SignInRecord {
    const now = nowSeconds();
    return {
      id: randomUUID(),
      userId: randomUUID(),
      authTime: now,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + 3600,
      userAgent: 'Firefox «ü»',
      ip: '::1',
      ...overrides,
    };
  }

  t.test('a sign-in is found by its secret hash field for field, renewed on use, and ended once', async (t) => {
    const record = signIn({ authenticatedFor: 'the-request-fingerprint' });
    const hash = `sign-in-${randomUUID()}`;
    await store.signIns.create(hash, record, 600);
    t.same(await store.signIns.use(hash, 600, record.createdAt + 5), { ...record, lastUsedAt: record.createdAt + 5 });
    t.equal(await store.signIns.use(`sign-in-${randomUUID()}`, 600, record.createdAt), undefined, 'an unknown hash finds nothing');
    t.same(await store.signIns.end(hash), { ...record, lastUsedAt: record.createdAt + 5 });
    t.equal(await store.signIns.use(hash, 600, record.createdAt + 6), undefined, 'ended');
    t.equal(await store.signIns.end(hash), undefined, 'ending twice finds nothing');
  });

  t.test("ending all of a user's sign-ins but one leaves the kept one and other users' alone", async (t) => {
    const userId = randomUUID();
    const [kept, other1, other2, foreign] = ['k', 'o1', 'o2', 'f'].map((name) => `sign-in-${name}-${randomUUID()}`) as [string, string, string, string];
    for (const hash of [kept, other1, other2]) await store.signIns.create(hash, signIn({ userId }), 600);
    await store.signIns.create(foreign, signIn(), 600);
    await store.signIns.end(other2);
    t.equal(await store.signIns.endAllForUser(userId, kept), 1, 'one live sign-in besides the kept one (the other was ended before)');
    t.ok(await store.signIns.use(kept, 600, nowSeconds()), 'the kept one lives');
    t.equal(await store.signIns.use(other1, 600, nowSeconds()), undefined);
    t.ok(await store.signIns.use(foreign, 600, nowSeconds()), "another user's sign-in lives");
    t.equal(await store.signIns.endAllForUser(userId), 1, 'without one to keep, all end');
    t.equal(await store.signIns.use(kept, 600, nowSeconds()), undefined);
    t.equal(await store.signIns.endAllForUser(randomUUID()), 0);
  });

  t.test('isLive finds a live sign-in by its secret hash and public id, and not once it ends or expires', async (t) => {
    const [first, second] = [signIn(), signIn()];
    const [firstHash, secondHash] = [`sign-in-${randomUUID()}`, `sign-in-${randomUUID()}`];
    await store.signIns.create(firstHash, first, 600);
    await store.signIns.create(secondHash, second, 1);
    t.equal(await store.signIns.isLive(firstHash, first.id), true);
    t.equal(await store.signIns.isLive(secondHash, second.id), true);
    t.equal(await store.signIns.isLive(firstHash, second.id), false, "another sign-in's id finds nothing");
    t.equal(await store.signIns.isLive(`sign-in-${randomUUID()}`, first.id), false, 'an unknown hash');
    await store.signIns.end(firstHash);
    t.equal(await store.signIns.isLive(firstHash, first.id), false, 'ended');
    await sleep(600);
    t.equal(await store.signIns.isLive(secondHash, second.id), true, 'still within its idle time');
    await sleep(600);
    t.equal(await store.signIns.isLive(secondHash, second.id), false, 'expired after its idle time: the look before did not renew it');
  });

  t.test('wrong passwords are counted per live sign-in', async (t) => {
    const hash = `sign-in-${randomUUID()}`;
    await store.signIns.create(hash, signIn(), 600);
    t.equal(await store.signIns.countPasswordFailure(hash), 1);
    t.equal(await store.signIns.countPasswordFailure(hash), 2);
    t.equal(await store.signIns.countPasswordFailure(`sign-in-${randomUUID()}`), 0, 'no such sign-in');
    await store.signIns.end(hash);
    t.equal(await store.signIns.countPasswordFailure(hash), 0, 'an ended sign-in counts nothing');
  });

  t.test('a sign-in ends after its idle time unless used, and at its absolute end however used', async (t) => {
    const idle = `sign-in-${randomUUID()}`;
    await store.signIns.create(idle, signIn(), 1);
    const kept = `sign-in-${randomUUID()}`;
    await store.signIns.create(kept, signIn(), 1);
    await sleep(600);
    t.ok(await store.signIns.use(kept, 1, nowSeconds()), 'used within its idle time');
    await sleep(600);
    t.equal(await store.signIns.use(idle, 1, nowSeconds()), undefined, 'unused past its idle time');
    t.ok(await store.signIns.use(kept, 1, nowSeconds()), 'each use renewed it');
    const ending = `sign-in-${randomUUID()}`;
    await store.signIns.create(ending, signIn({ expiresAt: nowSeconds() + 1 }), 600);
    await sleep(nowSeconds() * 1000 + 1100 - Date.now());
    t.equal(await store.signIns.use(ending, 600, nowSeconds()), undefined, 'past its absolute end');
  });

  function code(overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
    return {
      clientId: 'spa',
      redirectUri: 'https://app.example/cb',
      codeChallenge: 'challenge',
      scope: 'openid profile',
      nonce: 'n-0',
      userId: randomUUID(),
      signInId: randomUUID(),
      signInHash: `sign-in-${randomUUID()}`,
      authTime: 1_700_000_000,
      ...overrides,
    };
  }

  t.test('an authorization code is redeemed once; later uses are replays that name the session it started', async (t) => {
    const record = code();
    const hash = `code-${randomUUID()}`;
    await store.codes.create(hash, record, 60_000);
    t.same(await store.codes.redeem(hash, 60_000), { outcome: 'redeemed', code: record });
    t.same(await store.codes.redeem(hash, 60_000), { outcome: 'replayed', code: record, sid: undefined }, 'replayed before a session was linked');
    await store.codes.linkSession(hash, 'sid-1');
    t.same(await store.codes.redeem(hash, 60_000), { outcome: 'replayed', code: record, sid: 'sid-1' });
    t.same(await store.codes.redeem(`code-${randomUUID()}`, 60_000), { outcome: 'invalid' });
    const withoutNonce = code({ nonce: undefined });
    delete withoutNonce.nonce;
    const other = `code-${randomUUID()}`;
    await store.codes.create(other, withoutNonce, 60_000);
    t.same(await store.codes.redeem(other, 60_000), { outcome: 'redeemed', code: withoutNonce }, 'no nonce stays no nonce');
    const forResource = code({ resource: 'https://mcp.example/mcp', amr: ['pwd', 'otp', 'mfa'], dpopJkt: 'jkt-0' });
    const third = `code-${randomUUID()}`;
    await store.codes.create(third, forResource, 60_000);
    t.same(
      await store.codes.redeem(third, 60_000),
      { outcome: 'redeemed', code: forResource },
      'the resource (RFC 8707), amr and DPoP key (RFC 9449 §10) come back',
    );
  });

  t.test('concurrent redemptions of one code: exactly one redeems', async (t) => {
    const hash = `code-${randomUUID()}`;
    await store.codes.create(hash, code(), 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.codes.redeem(hash, 60_000)));
    t.equal(results.filter((result) => result.outcome === 'redeemed').length, 1);
    t.equal(results.filter((result) => result.outcome === 'replayed').length, 19);
  });

  t.test('a code expires unredeemed; linking a session to a gone code creates nothing', async (t) => {
    const hash = `code-${randomUUID()}`;
    await store.codes.create(hash, code(), 200);
    await sleep(300);
    t.same(await store.codes.redeem(hash, 60_000), { outcome: 'invalid' });
    await store.codes.linkSession(hash, 'sid-1');
    t.same(await store.codes.redeem(hash, 60_000), { outcome: 'invalid' }, 'still nothing');
  });

  function deviceRequest(overrides: Partial<DeviceAuthorizationRecord> = {}): DeviceAuthorizationRecord {
    return { clientId: 'tv', scope: 'openid profile', deviceSecretHash: `secret-${randomUUID()}`, expiresAt: Date.now() + 60_000, interval: 5, ...overrides };
  }

  t.test('a device request (RFC 8628): a user code names one at a time; pending until answered, once', async (t) => {
    const userCode = `UC${randomUUID()}`;
    const record = deviceRequest({ resource: 'https://mcp.example/mcp' });
    t.equal(await store.deviceAuthorizations.create(userCode, record, 60_000), true);
    t.equal(await store.deviceAuthorizations.create(userCode, deviceRequest(), 60_000), false, 'a taken user code is refused');
    t.same(await store.deviceAuthorizations.pending(userCode, Date.now()), record, 'the first request stays, its resource too');
    t.equal(await store.deviceAuthorizations.pending(userCode, record.expiresAt), undefined, 'not past its expiry');
    t.equal(await store.deviceAuthorizations.pending(`UC${randomUUID()}`, Date.now()), undefined);
    const approval = { userId: randomUUID(), authTime: 1_700_000_000, amr: ['pwd', 'otp', 'mfa'] };
    const decisions = await Promise.all([
      ...Array.from({ length: 5 }, () => store.deviceAuthorizations.decide(userCode, approval, Date.now())),
      ...Array.from({ length: 5 }, () => store.deviceAuthorizations.decide(userCode, 'denied', Date.now())),
    ]);
    t.equal(decisions.filter(Boolean).length, 1, 'answered exactly once');
    t.equal(await store.deviceAuthorizations.pending(userCode, Date.now()), undefined, 'answered: no longer pending');
    const late = `UC${randomUUID()}`;
    await store.deviceAuthorizations.create(late, deviceRequest({ expiresAt: Date.now() - 1 }), 60_000);
    t.equal(await store.deviceAuthorizations.decide(late, approval, Date.now()), false, 'an expired request is not answered');
  });

  t.test('a device poll: only its client with its secret; pending, slow_down, then the approval spent once', async (t) => {
    const userCode = `UC${randomUUID()}`;
    const record = deviceRequest();
    const device = { clientId: record.clientId, secretHash: record.deviceSecretHash };
    await store.deviceAuthorizations.create(userCode, record, 60_000);
    const start = Date.now();
    t.same(await store.deviceAuthorizations.poll(userCode, { ...device, secretHash: 'wrong' }, start), { outcome: 'invalid' }, 'another secret');
    t.same(await store.deviceAuthorizations.poll(userCode, { ...device, clientId: 'other' }, start), { outcome: 'invalid' }, 'another client');
    t.same(await store.deviceAuthorizations.poll(userCode, device, start), { outcome: 'pending', record });
    t.same(await store.deviceAuthorizations.poll(userCode, device, start + 1000), { outcome: 'slow_down', record: { ...record, interval: 10 } }, 'within 5 s');
    t.same(await store.deviceAuthorizations.poll(userCode, device, start + 7000), { outcome: 'slow_down', record: { ...record, interval: 15 } }, 'now 10 s');
    t.same(await store.deviceAuthorizations.poll(userCode, device, start + 30_000), { outcome: 'pending', record: { ...record, interval: 15 } });
    const approval = { userId: randomUUID(), authTime: 1_700_000_000, amr: ['pwd'] };
    t.equal(await store.deviceAuthorizations.decide(userCode, approval, Date.now()), true);
    const polls = await Promise.all(Array.from({ length: 10 }, () => store.deviceAuthorizations.poll(userCode, device, start + 40_000)));
    const approved = polls.filter((poll) => poll.outcome === 'approved');
    t.equal(approved.length, 1, 'exactly one poll collects the approval');
    t.same(approved[0], { outcome: 'approved', record: { ...record, interval: 15 }, approval });
    t.equal(polls.filter((poll) => poll.outcome === 'invalid').length, 9, 'the others find it spent');
  });

  t.test('a device poll after a denial is denied; after the expiry, expired', async (t) => {
    const denied = `UC${randomUUID()}`;
    const record = deviceRequest();
    const device = { clientId: record.clientId, secretHash: record.deviceSecretHash };
    await store.deviceAuthorizations.create(denied, record, 60_000);
    await store.deviceAuthorizations.decide(denied, 'denied', Date.now());
    t.same(await store.deviceAuthorizations.poll(denied, device, Date.now()), { outcome: 'denied', record });
    const expiring = `UC${randomUUID()}`;
    await store.deviceAuthorizations.create(expiring, record, 60_000);
    t.same(await store.deviceAuthorizations.poll(expiring, device, record.expiresAt), { outcome: 'expired' });
    const gone = `UC${randomUUID()}`;
    await store.deviceAuthorizations.create(gone, record, 200);
    await sleep(300);
    t.same(await store.deviceAuthorizations.poll(gone, device, Date.now()), { outcome: 'invalid' }, 'past its keeping: unknown');
  });

  t.test('a pushed authorization request: read while it lives, replaced, spent once', async (t) => {
    const hash = `par-${randomUUID()}`;
    const record = { clientId: 'portal', params: { response_type: 'code', redirect_uri: 'https://portal.example/cb', state: 'ü & =' }, started: false };
    await store.pushedRequests.create(hash, record, 60_000);
    t.same(await store.pushedRequests.get(hash), record, 'its parameters come back as pushed');
    t.equal(await store.pushedRequests.start(hash, 'other', 200), undefined, 'another client’s start: nothing');
    t.same(await store.pushedRequests.start(hash, 'portal', 60_000), record, 'started by its client');
    t.same(await store.pushedRequests.get(hash), { ...record, started: true }, 'marked started');
    await store.pushedRequests.start(hash, 'portal', 100);
    await sleep(200);
    t.ok(await store.pushedRequests.get(hash), 'a second start sets no new lifetime');
    const takes = await Promise.all(Array.from({ length: 10 }, () => store.pushedRequests.take(hash)));
    t.equal(takes.filter((taken) => taken !== undefined).length, 1, 'spent once');
    t.equal(await store.pushedRequests.get(hash), undefined);
    const short = `par-${randomUUID()}`;
    await store.pushedRequests.create(short, record, 200);
    await sleep(300);
    t.equal(await store.pushedRequests.get(short), undefined, 'gone past its time');
  });

  t.test('a once-only identifier: the first use of ten concurrent ones wins; forgotten after its time', async (t) => {
    const name = `assertion:app:${randomUUID()}`;
    const uses = await Promise.all(Array.from({ length: 10 }, () => store.replays.firstUse(name, 1)));
    t.equal(uses.filter(Boolean).length, 1);
    t.equal(await store.replays.firstUse(`assertion:other:${name}`, 1), true, 'another name is its own');
    await sleep(1100);
    t.equal(await store.replays.firstUse(name, 1), true, 'after its time it is new again (it could no longer be used anyway)');
  });

  t.test('a self-registered client’s use mark lives its time, renewed by each touch', async (t) => {
    const [used, unused, never] = [randomUUID(), randomUUID(), randomUUID()];
    await store.clientUses.touch(used, 1);
    await store.clientUses.touch(unused, 1);
    t.same(await store.clientUses.inUse([used, unused, never]), new Set([used, unused]));
    await sleep(600);
    await store.clientUses.touch(used, 1);
    await sleep(600);
    t.same(await store.clientUses.inUse([used, unused, never]), new Set([used]), 'the touched one lives on');
    t.same(await store.clientUses.inUse([]), new Set());
  });

  t.test('a client ID metadata document is kept for its time, then gone', async (t) => {
    const url = `https://agent.example/${randomUUID()}/client.json`;
    t.equal(await store.clientDocuments.get(url), undefined);
    await store.clientDocuments.put(url, '{"client_id":"x"}', 1);
    await store.clientDocuments.put(`${url}?other`, '{}', 60);
    t.equal(await store.clientDocuments.get(url), '{"client_id":"x"}');
    await sleep(1100);
    t.equal(await store.clientDocuments.get(url), undefined, 'expired');
    t.equal(await store.clientDocuments.get(`${url}?other`), '{}', 'another URL is another document');
  });

  t.test('a consent keeps the resources it names (RFC 8707), and one without names none', async (t) => {
    const userId = randomUUID();
    const withResources = { clientId: 'agent', scope: 'mcp:tools', resources: ['https://mcp.example/mcp'], grantedAt: 1_700_000_000 };
    await store.consents.grant(userId, withResources);
    await store.consents.grant(userId, { clientId: 'wiki', scope: 'openid', grantedAt: 1_700_000_000 });
    t.same(await store.consents.get(userId, 'agent'), withResources);
    t.same(await store.consents.list(userId), [withResources, { clientId: 'wiki', scope: 'openid', grantedAt: 1_700_000_000 }]);
    t.notOk('resources' in (await store.consents.get(userId, 'wiki'))!);
  });

  t.test("forgetClient forgets every user's consent to one client and no other", async (t) => {
    const [clientId, other] = [`gone-${randomUUID()}`, `kept-${randomUUID()}`];
    const [ann, ben, cid] = [randomUUID(), randomUUID(), randomUUID()];
    for (const userId of [ann, ben]) await store.consents.grant(userId, { clientId, scope: 'openid', grantedAt: 1_700_000_000 });
    await store.consents.grant(ann, { clientId: other, scope: 'openid', grantedAt: 1_700_000_000 });
    await store.consents.grant(cid, { clientId, scope: 'openid', grantedAt: 1_700_000_000 });
    await store.consents.revoke(cid, clientId);
    t.equal(await store.consents.forgetClient(clientId), 2, "ann's and ben's (cid's was revoked before)");
    t.equal(await store.consents.get(ann, clientId), undefined);
    t.equal(await store.consents.get(ben, clientId), undefined);
    t.ok(await store.consents.get(ann, other), "ann's consent to another client stays");
    t.equal(await store.consents.forgetClient(clientId), 0, 'forgetting twice finds nothing');
    await store.consents.grant(ben, { clientId: other, scope: 'openid', grantedAt: 1_700_000_000 });
    await store.consents.revokeAll(ben);
    t.equal(await store.consents.forgetClient(other), 1, "only ann's: ben's went with revokeAll");
  });

  t.test('consents are kept per user and client until revoked', async (t) => {
    const userId = randomUUID();
    t.equal(await store.consents.get(userId, 'wiki'), undefined);
    await store.consents.grant(userId, { clientId: 'wiki', scope: 'openid profile', grantedAt: 1_700_000_000 });
    await store.consents.grant(userId, { clientId: 'dashboard', scope: 'openid', grantedAt: 1_700_000_001 });
    await store.consents.grant(randomUUID(), { clientId: 'wiki', scope: 'openid', grantedAt: 1 });
    t.same(await store.consents.get(userId, 'wiki'), { clientId: 'wiki', scope: 'openid profile', grantedAt: 1_700_000_000 });
    await store.consents.grant(userId, { clientId: 'wiki', scope: 'openid profile email', grantedAt: 1_700_000_002 });
    t.same(await store.consents.list(userId), [
      { clientId: 'dashboard', scope: 'openid', grantedAt: 1_700_000_001 },
      { clientId: 'wiki', scope: 'openid profile email', grantedAt: 1_700_000_002 },
    ]);
    t.equal(await store.consents.revoke(userId, 'wiki'), true);
    t.equal(await store.consents.revoke(userId, 'wiki'), false, 'revoking twice finds nothing');
    t.equal(await store.consents.get(userId, 'wiki'), undefined);
    t.same(await store.consents.list(randomUUID()), []);
  });

  t.test('users list by username-key prefix in byte order, a page at a time, and a deleted user frees its name', async (t) => {
    const names = ['bob', 'alice', 'alicia', 'al', 'zoë', 'zz', 'alice.b'];
    const records = names.map((name) => user({ username: name, usernameKey: name }));
    for (const record of records) await store.users.create(record);
    const all = await store.users.list({ prefix: '', limit: 100 });
    t.same(
      all.users.map((found) => found.usernameKey),
      ['al', 'alice', 'alice.b', 'alicia', 'bob', 'zoë', 'zz'].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    t.equal(all.last, undefined, 'the whole list fits: no next page');
    t.same(
      all.users.find((found) => found.usernameKey === 'bob'),
      records[0],
      'records come whole',
    );
    const first = await store.users.list({ prefix: 'ali', limit: 2 });
    t.same(
      first.users.map((found) => found.usernameKey),
      ['alice', 'alice.b'],
    );
    t.equal(first.last, 'alice.b');
    const second = await store.users.list({ prefix: 'ali', after: first.last, limit: 2 });
    t.same(
      second.users.map((found) => found.usernameKey),
      ['alicia'],
    );
    t.equal(second.last, undefined);
    t.same(
      (await store.users.list({ prefix: 'zo', limit: 10 })).users.map((found) => found.usernameKey),
      ['zoë'],
      'a prefix of non-ASCII letters',
    );

    const alice = records[1]!;
    t.same(await store.users.delete(alice.id), alice, 'delete answers the record');
    t.equal(await store.users.delete(alice.id), undefined, 'deleting twice finds nothing');
    t.equal(await store.users.findById(alice.id), undefined);
    t.equal(await store.users.findByUsernameKey('alice'), undefined);
    t.same(
      (await store.users.list({ prefix: 'ali', limit: 10 })).users.map((found) => found.usernameKey),
      ['alice.b', 'alicia'],
    );
    const again = user({ username: 'alice', usernameKey: 'alice' });
    t.equal(await store.users.create(again), 'created', 'the name is free again, for a new id');
    t.equal((await store.users.findByUsernameKey('alice'))?.id, again.id);
    t.equal(await store.users.setDisabled(alice.id, true), false, 'the deleted record is not written back');
  });

  t.test('consents of a user are all forgotten at once', async (t) => {
    const userId = randomUUID();
    const other = randomUUID();
    await store.consents.grant(userId, { clientId: 'wiki', scope: 'openid', grantedAt: 1 });
    await store.consents.grant(userId, { clientId: 'dashboard', scope: 'openid', grantedAt: 2 });
    await store.consents.grant(other, { clientId: 'wiki', scope: 'openid', grantedAt: 3 });
    await store.consents.revokeAll(userId);
    t.same(await store.consents.list(userId), []);
    t.equal((await store.consents.list(other)).length, 1, "another user's consents stay");
  });

  t.test('runtime clients: create refuses a taken id, replace needs one, every change raises the version', async (t) => {
    const record = (clientId: string, scope: string) => ({
      entry: { client_id: clientId, type: 'public', grant_types: ['password'], scope },
      createdAt: 1_700_000_000,
      updatedAt: 1_700_000_000,
    });
    const v0 = await store.clients.version();
    t.same(await store.clients.all(), { version: v0, clients: [] });
    t.equal(await store.clients.create(record('app', 'a')), 'created');
    t.equal(await store.clients.create(record('app', 'b')), 'taken', 'a taken id');
    t.equal(await store.clients.replace(record('nobody', 'b')), false, 'nothing to replace');
    const v1 = await store.clients.version();
    t.ok(v1 > v0, 'a create raises the version');
    const rotated = { ...record('app', 'b'), updatedAt: 1_700_000_100, previousSecretHash: `sha256:${'0'.repeat(64)}`, previousSecretUntil: 1_700_000_200 };
    t.equal(await store.clients.replace(rotated), true);
    const v2 = await store.clients.version();
    t.ok(v2 > v1, 'a replace raises it');
    t.same(await store.clients.all(), { version: v2, clients: [rotated] }, 'the record comes back field for field');
    t.equal(await store.clients.delete('app'), true);
    t.equal(await store.clients.delete('app'), false);
    t.ok((await store.clients.version()) > v2, 'a delete raises it');
    t.same((await store.clients.all()).clients, []);
    t.equal(await store.clients.create(record('app', 'c')), 'held', "a deleted client's id is held for a while");
    t.equal(await store.clients.create(record('other', 'c')), 'created', 'only that id');
  });

  t.test('runtime providers: a versioned set of their own, apart from the clients', async (t) => {
    const record = (id: string, name: string) => ({
      entry: { id, name, issuer: 'https://idp.example', client_id: 'x', client_secret: 'sealed', scope: 'openid' },
      createdAt: 1_700_000_000,
      updatedAt: 1_700_000_000,
    });
    const clientsVersion = await store.clients.version();
    const v0 = await store.providers.version();
    t.same(await store.providers.all(), { version: v0, providers: [] });
    t.equal(await store.providers.create(record('corp', 'Corp')), 'created');
    t.equal(await store.providers.create(record('corp', 'Other')), 'taken', 'a taken id');
    t.equal(await store.providers.replace(record('nobody', 'x')), false, 'nothing to replace');
    const v1 = await store.providers.version();
    t.ok(v1 > v0, 'a create raises the version');
    t.equal(await store.clients.version(), clientsVersion, "the clients' version does not move");
    const renamed = { ...record('corp', 'Corp Inc.'), updatedAt: 1_700_000_100 };
    t.equal(await store.providers.replace(renamed), true);
    const v2 = await store.providers.version();
    t.same(await store.providers.all(), { version: v2, providers: [renamed] }, 'the record comes back field for field');
    t.equal(await store.providers.delete('corp'), true);
    t.equal(await store.providers.delete('corp'), false);
    t.ok((await store.providers.version()) > v2, 'a delete raises it');
    t.equal(await store.providers.create(record('corp', 'Again')), 'held', "a deleted provider's id is held for a moment");
    t.equal(await store.providers.create(record('other', 'Other')), 'created');
    await store.providers.delete('other');
  });

  t.test('runtime resources: a versioned set of their own, keyed by identifier', async (t) => {
    const record = (resource: string, name: string) => ({ entry: { resource, name, clients: '*' }, createdAt: 1_700_000_000, updatedAt: 1_700_000_000 });
    const mcp = 'https://mcp.example/mcp';
    const providersVersion = await store.providers.version();
    const v0 = await store.resources.version();
    t.same(await store.resources.all(), { version: v0, resources: [] });
    t.equal(await store.resources.create(record(mcp, 'Tools')), 'created');
    t.equal(await store.resources.create(record(mcp, 'Other')), 'taken', 'a taken identifier');
    t.equal(await store.resources.replace(record('https://none.example/', 'x')), false, 'nothing to replace');
    const v1 = await store.resources.version();
    t.ok(v1 > v0, 'a create raises the version');
    t.equal(await store.providers.version(), providersVersion, "the providers' version does not move");
    const renamed = { ...record(mcp, 'Tools v2'), updatedAt: 1_700_000_100 };
    t.equal(await store.resources.replace(renamed), true);
    const v2 = await store.resources.version();
    t.same(await store.resources.all(), { version: v2, resources: [renamed] }, 'the record comes back field for field');
    t.equal(await store.resources.delete(mcp), true);
    t.equal(await store.resources.delete(mcp), false);
    t.ok((await store.resources.version()) > v2, 'a delete raises it');
    t.equal(await store.resources.create(record(mcp, 'Again')), 'held', 'a deleted identifier is held for a moment');
  });

  t.test('a session keeps the sign-in that started it', async (t) => {
    const owner = user();
    await store.users.create(owner);
    const record = session({ userId: owner.id, signInId: 'sign-in-1' });
    await store.sessions.create(record, { idleTtl: 600, refreshTokenHash: `rt-${record.sid}` });
    t.same(await store.sessions.get(record.sid), record);
    t.same((await store.sessions.listForUser(owner.id))[0], record);
  });
}
