/**
 * A 503 means "safe to retry with the same input": the write the request asked for may still land after the
 * answer (a stalled Redis runs queued commands when it resumes), so each writing endpoint recognises the retry
 * of a write that already happened, or is idempotent. The late write is made here as the store would make it.
 */
import { decodeJwt } from 'jose';
import t from 'tap';
import { PasswordHasher } from '../../src/users/password-hasher.js';
import { buildTestApp, form, TEST_ARGON2, type StoreKind } from '../helpers/app.js';
import { registerAndLogin } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const hasher = new PasswordHasher(TEST_ARGON2);

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`retries of writes that landed after a 503 (${kind} store)`, async (t) => {
    const { app, store, clock } = await buildTestApp(t, { store: kind, redis });
    const now = () => Math.floor(clock() / 1000);
    const register = (username: string, password: string) => app.inject({ method: 'POST', url: '/account/register', payload: { username, password } });

    t.test('registration: the same username and password again are answered as the registration they retry', async (t) => {
      const id = 'a1f0c8e2-0000-4000-8000-00000000a001';
      await store.users.create({
        id,
        username: 'late-reg',
        usernameKey: 'late-reg',
        passwordHash: await hasher.hash('long enough'),
        createdAt: now(),
        disabled: false,
      });
      const retry = await register('late-reg', 'long enough');
      t.equal(retry.statusCode, 201);
      t.same(retry.json(), { id, username: 'late-reg' });
      t.equal((await register('late-reg', 'another password')).statusCode, 409, 'another password is someone else: taken');
      t.equal((await register('LATE-REG', 'long enough')).statusCode, 409, 'another spelling is another request: taken');
      clock.advance(601);
      t.equal((await register('late-reg', 'long enough')).statusCode, 409, 'past the retry window the name is simply taken');
    });

    t.test('password change: the retry of a change that already happened answers 204 and ends the other sessions', async (t) => {
      const mine = await registerAndLogin(app, 'late-pw', 'web', 'old password');
      const other = await registerAndLogin(app, 'late-pw', 'web', 'old password');
      const userId = decodeJwt(mine.access_token!).sub!;
      await store.users.setPasswordHash(userId, await hasher.hash('new password'), now());
      const change = () =>
        app.inject({
          method: 'POST',
          url: '/account/password',
          headers: { authorization: `Bearer ${mine.access_token}` },
          payload: { current_password: 'old password', new_password: 'new password' },
        });
      t.equal((await change()).statusCode, 204, 'recognised');
      t.equal(
        (await app.inject({ url: '/account/me', headers: { authorization: `Bearer ${other.access_token}` } })).statusCode,
        401,
        'the other session ended, as the change asked',
      );
      t.equal((await change()).statusCode, 204, 'and again: idempotent');
      const wrong = await app.inject({
        method: 'POST',
        url: '/account/password',
        headers: { authorization: `Bearer ${mine.access_token}` },
        payload: { current_password: 'a wrong guess', new_password: 'another new one' },
      });
      t.equal(wrong.statusCode, 400, 'a wrong current password is still wrong');
      clock.advance(601);
      t.equal((await change()).statusCode, 400, 'past the retry window the old password is just wrong');
    });

    t.test('logout, logout-all and revocation are idempotent', async (t) => {
      const session = await registerAndLogin(app, 'late-out');
      const headers = { authorization: `Bearer ${session.access_token}` };
      const revoke = () => app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: session.refresh_token!, client_id: 'web' }) });
      t.same([(await revoke()).statusCode, (await revoke()).statusCode], [200, 200]);
      const logout = () => app.inject({ method: 'POST', url: '/oauth/logout', ...form({ refresh_token: session.refresh_token!, client_id: 'web' }) });
      t.same([(await logout()).statusCode, (await logout()).statusCode], [204, 204]);
      const second = await registerAndLogin(app, 'late-out');
      const all = () => app.inject({ method: 'POST', url: '/account/logout-all', headers: { authorization: `Bearer ${second.access_token}` } });
      t.equal((await all()).json().ended, 1);
      t.equal((await all()).statusCode, 401, "a retry after it landed finds the caller's own session ended: nothing is left to do");
      t.equal((await app.inject({ url: '/account/me', headers })).statusCode, 401);
    });
  });
}
