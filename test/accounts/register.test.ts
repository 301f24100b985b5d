import t from 'tap';
import { buildTestApp, type StoreKind } from '../helpers/app.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`POST /account/register (${kind} store)`, async (t) => {
    const { app, store } = await buildTestApp(t, { store: kind, redis });
    const register = (body: unknown) => app.inject({ method: 'POST', url: '/account/register', payload: body as object });

    t.test('201 with id and username; the password is stored as an argon2id hash', async (t) => {
      const response = await register({ username: 'Alice', password: 'correct horse' });
      t.equal(response.statusCode, 201);
      const body = response.json();
      t.same(Object.keys(body).sort(), ['id', 'username']);
      t.equal(body.username, 'Alice');
      t.match(body.id, /^[0-9a-f-]{36}$/);
      t.equal(response.headers['cache-control'], 'no-store');
      const user = await store.users.findById(body.id);
      t.match(user?.passwordHash, /^\$argon2id\$v=19\$/);
      t.notMatch(user?.passwordHash, /correct horse/);
    });

    t.test('409 for the same username in another case or Unicode compatibility form', async (t) => {
      for (const variant of ['alice', 'ALICE', 'ａｌｉｃｅ']) {
        const response = await register({ username: variant, password: 'another password' });
        t.equal(response.statusCode, 409, variant);
        t.same(response.json(), { error: 'username_taken', error_description: 'that username is taken' });
      }
    });

    t.test('the NFKC form is what is stored and shown', async (t) => {
      const response = await register({ username: 'ｂｏｂ', password: 'long enough' });
      t.equal(response.json().username, 'bob');
    });

    t.test('ß and SS fold to one account', async (t) => {
      t.equal((await register({ username: 'straße', password: 'long enough' })).statusCode, 201);
      t.equal((await register({ username: 'STRASSE', password: 'long enough' })).statusCode, 409);
    });

    const invalid: Array<[string, unknown, RegExp]> = [
      ['a password under 8 characters', { username: 'carol', password: 'short' }, /at least 8 characters/],
      ['a password of 7 characters and more bytes', { username: 'carol', password: 'ééééééé' }, /at least 8 characters/],
      ['a password over 1024 bytes', { username: 'carol', password: 'é'.repeat(513) }, /at most 1024 bytes/],
      ['a username with a space', { username: 'carol smith', password: 'long enough' }, /username must be/],
      ['a username with a control character', { username: 'carol\u0000', password: 'long enough' }, /username must be/],
      ['a username under 3 characters', { username: 'cj', password: 'long enough' }, /username must be/],
      ['a username over 254 characters', { username: 'c'.repeat(255), password: 'long enough' }, /username/],
      ['a missing password', { username: 'carol' }, /password/],
      ['a number as username', { username: 12345, password: 'long enough' }, /username must be string/],
      ['an unknown field', { username: 'carol', password: 'long enough', admin: true }, /unknown body parameter "admin"/],
    ];
    for (const [name, body, pattern] of invalid) {
      t.test(`400 invalid_request for ${name}, and nothing is stored`, async (t) => {
        const response = await register(body);
        t.equal(response.statusCode, 400);
        t.equal(response.json().error, 'invalid_request');
        t.match(response.json().error_description, pattern);
        t.equal(await store.users.findByUsernameKey('carol'), undefined);
      });
    }

    t.test('400 for malformed JSON, in the same shape', async (t) => {
      const response = await app.inject({ method: 'POST', url: '/account/register', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
      t.equal(response.statusCode, 400);
      t.equal(response.json().error, 'invalid_request');
    });

    t.test('400 for a __proto__ key (prototype pollution)', async (t) => {
      const response = await app.inject({
        method: 'POST',
        url: '/account/register',
        headers: { 'content-type': 'application/json' },
        payload: '{"username":"dave","password":"long enough","__proto__":{"admin":true}}',
      });
      t.equal(response.statusCode, 400);
      t.equal(({} as Record<string, unknown>).admin, undefined);
    });
  });

  t.test(`REGISTRATION=closed answers 403 and stores nothing (${kind} store)`, async (t) => {
    const { app, store } = await buildTestApp(t, { store: kind, redis, config: { registration: 'closed' } });
    const response = await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'erin', password: 'long enough' } });
    t.equal(response.statusCode, 403);
    t.same(response.json(), { error: 'registration_closed', error_description: 'self-registration is closed' });
    t.equal(await store.users.findByUsernameKey('erin'), undefined);
  });
}
