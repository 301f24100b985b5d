import t from 'tap';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { PasswordHasher } from '../../src/users/password-hasher.js';
import { LoginThrottle } from '../../src/users/login-throttle.js';
import { UserService } from '../../src/users/user-service.js';
import { TEST_ARGON2 } from '../helpers/app.js';

/** Counts argon2 verifications, to show that every login path pays for one. */
class CountingHasher extends PasswordHasher {
  verifications = 0;
  override async verify(passwordHash: string, password: string): Promise<boolean> {
    this.verifications += 1;
    return super.verify(passwordHash, password);
  }
}

/** A UserService over a store, with a throttle loose enough to stay out of the way. */
function userService(store: MemoryStore, hasher: PasswordHasher): UserService {
  return new UserService(store.users, hasher, new LoginThrottle(store.loginFailures, { maxPerHour: 100, freeFailures: 100 }, Date.now), Date.now);
}

t.test('argon2id with the configured parameters and a per-hash salt', async (t) => {
  const hasher = new PasswordHasher(TEST_ARGON2);
  const first = await hasher.hash('same password');
  const second = await hasher.hash('same password');
  t.match(first, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  t.not(first, second, 'a random salt per hash');
  t.equal(await hasher.verify(first, 'same password'), true);
  t.equal(await hasher.verify(first, 'other password'), false);
  t.equal(await hasher.verify('not a hash', 'x'), false, 'an unreadable hash is a mismatch, not a crash');
});

t.test('needsRehash: weaker or other hashes', async (t) => {
  const hasher = new PasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  t.equal(hasher.needsRehash('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'), false);
  t.equal(hasher.needsRehash('$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA'), false, 'stronger is kept');
  t.equal(hasher.needsRehash('$argon2id$v=19$m=1024,t=2,p=1$c2FsdA$aGFzaA'), true);
  t.equal(hasher.needsRehash('$argon2id$v=19$m=19456,t=1,p=1$c2FsdA$aGFzaA'), true);
  t.equal(hasher.needsRehash('$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'), true, 'argon2i is replaced by argon2id');
});

t.test('an unknown, malformed or disabled user still pays for one argon2 verification', async (t) => {
  const store = new MemoryStore();
  const hasher = new CountingHasher(TEST_ARGON2);
  const users = userService(store, hasher);
  const { user } = await users.register('known', 'right password');
  await store.users.create({ ...user, id: 'disabled-id', username: 'off', usernameKey: 'off', disabled: true });
  for (const [name, password] of [
    ['known', 'wrong password'],
    ['unknown', 'any password'],
    ['bad name!', 'any password'],
    ['off', 'right password'],
  ]) {
    hasher.verifications = 0;
    t.equal(await users.authenticate(name!, password!), undefined, name!);
    t.equal(hasher.verifications, 1, `${name}: one verification`);
  }
  t.equal((await users.authenticate('KNOWN', 'right password'))?.id, user.id);
});

t.test('a password over 1024 bytes is refused before any hashing', async (t) => {
  const hasher = new CountingHasher(TEST_ARGON2);
  const users = userService(new MemoryStore(), hasher);
  await t.rejects(users.authenticate('anyone', 'x'.repeat(1025)), { code: 'invalid_request' });
  t.equal(hasher.verifications, 0);
});
