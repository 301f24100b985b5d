import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import t, { type Test } from 'tap';
import { buildTestApp, keysDirWithKey, tempDir } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';
import { basicAuth, SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually } from '../helpers/listen.js';
import { introspectedActive, passwordLogin, refresh, registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

/** The CLI's environment and a running app on the same Redis prefix (the service the operator administers). */
async function setup(t: Test) {
  const prefix = redis.prefix();
  const clientsFile = join(await tempDir(t), 'clients.json');
  await writeFile(clientsFile, JSON.stringify(SERVICE_CLIENTS));
  const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, CLIENTS_FILE: clientsFile };
  const { app } = await buildTestApp(t, { store: 'redis', redis: { ...redis, prefix: () => prefix }, clients: SERVICE_CLIENTS });
  return { env, app };
}

t.test('every store command refuses the embedded store, whose state would die with the command', async (t) => {
  for (const argv of [
    ['users', 'list'],
    ['users', 'disable', 'x'],
    ['sessions', 'list', 'x'],
    ['sessions', 'end', 'x'],
    ['clients', 'list'],
    ['clients', 'delete', 'x'],
  ]) {
    const refused = await cli(argv, {});
    t.equal(refused.code, 1, argv.join(' '));
    t.match(refused.err, /^configuration error: REDIS_URL: this command writes to the store the service uses/);
    t.equal(refused.out, '');
  }
});

t.test('users: add, list, disable, enable, passwd and delete reach the running service, by id or name', async (t) => {
  const { env, app } = await setup(t);
  const added = await cli(['users', 'add', 'Carol', '--json'], env, 'carols password\n');
  t.equal(added.code, 0, added.err);
  const carol = added.json();
  t.match(carol, { username: 'Carol', disabled: false, has_password: true });
  t.notMatch(added.out + added.err, /carols password/, 'never echoed nor logged');
  t.match(added.err, /"event":"admin_action".*"action":"user_created".*"via":"cli"/, 'the audit event goes to standard error');
  const noPassword = await cli(['users', 'add', 'dave'], env, '');
  t.match(noPassword.out, /^added user dave \(id [0-9a-f-]{36}\), without a password\n$/);
  t.equal((await passwordLogin(app, 'dave', 'whatever it is')).statusCode, 400);

  const listed = await cli(['users', 'list', '--query', 'CA', '--json'], env);
  t.same(
    listed.json().items.map((user) => user.username),
    ['Carol'],
  );
  const page = await cli(['users', 'list', '--limit=1'], env);
  t.match(page.out, /^[0-9a-f-]{36} {2}Carol {2}enabled {2}created \S+\nnext page: --cursor \S+\n$/);
  const cursor = /--cursor (\S+)/.exec(page.out)![1]!;
  t.match((await cli(['users', 'list', '--cursor', cursor], env)).out, /dave/);

  const login = await registerAndLogin(app, 'erin');
  t.match((await cli(['users', 'disable', 'ERIN'], env)).out, /^disabled user erin \(id /, 'by name, in any letter case');
  t.equal((await refresh(app, login.refresh_token!)).body.error, 'invalid_grant', 'its session ended');
  t.equal((await passwordLogin(app, 'erin', 'long enough')).statusCode, 400);
  const erinId = decodeJwt(login.access_token!).sub!;
  t.match((await cli(['users', 'enable', erinId], env)).out, /^enabled user erin/, 'by id');
  t.equal((await passwordLogin(app, 'erin', 'long enough')).statusCode, 200);

  t.equal((await cli(['users', 'passwd', 'erin'], env, 'erins new password\n')).code, 0);
  t.equal((await passwordLogin(app, 'erin', 'erins new password')).statusCode, 200);
  const emptyPassword = await cli(['users', 'passwd', 'erin'], env, '');
  t.equal(emptyPassword.code, 1);
  t.match(emptyPassword.err, /empty/);

  t.match((await cli(['users', 'delete', 'erin'], env)).out, /^deleted user erin/);
  t.equal((await passwordLogin(app, 'erin', 'erins new password')).statusCode, 400);
  const missing = await cli(['users', 'disable', 'nobody-here'], env);
  t.equal(missing.code, 1);
  t.equal(missing.err, 'no such user\n', 'one line');
});

t.test('sessions: list a user, end one, end all', async (t) => {
  const { env, app } = await setup(t);
  const first = await registerAndLogin(app, 'frank');
  const second = await registerAndLogin(app, 'frank');
  const listed = await cli(['sessions', 'list', 'frank', '--json'], env);
  t.equal(listed.json().items.length, 2);
  const sid = decodeJwt(first.access_token!).sid as string;
  t.match((await cli(['sessions', 'list', 'frank'], env)).out, new RegExp(`${sid} {2}web {2}created`));
  t.equal((await cli(['sessions', 'end', sid], env)).out, `ended session ${sid}\n`);
  t.equal((await refresh(app, first.refresh_token!)).status, 400);
  t.equal((await refresh(app, second.refresh_token!)).status, 200, 'the other lives');
  t.equal((await cli(['sessions', 'end', sid], env)).err, 'no such session\n');
  t.same((await cli(['sessions', 'end-all', 'frank', '--json'], env)).json(), { ended: 1 });
});

t.test('clients: add from JSON on stdin, list, update, rotate the secret, delete; the service follows', async (t) => {
  const { env, app } = await setup(t);
  const added = await cli(
    ['clients', 'add'],
    env,
    JSON.stringify({ client_id: 'cli-svc', type: 'confidential', grant_types: ['client_credentials'], scope: 'a b' }),
  );
  t.equal(added.code, 0, added.err);
  const secret = /client_secret: (\S+)/.exec(added.out)![1]!;
  t.match(added.err, /only its hash is stored/);
  t.notMatch(added.err, secret, 'the secret is not in the audit line');
  const issue = (useSecret: string) => tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: basicAuth('cli-svc', useSecret) });
  t.equal((await issue(secret)).status, 200, 'the running service knows the client at once');

  const listed = await cli(['clients', 'list', '--json'], env);
  t.match(
    listed.json().items.find((client) => client.client_id === 'cli-svc'),
    { source: 'store', scope: 'a b' },
  );
  t.match((await cli(['clients', 'list'], env)).out, /^web {2}public {2}file {2}password,refresh_token {2}profile orders:read$/m);
  t.match((await cli(['clients', 'update', 'cli-svc', '--json'], env, '{"scope":"a"}')).json(), { scope: 'a' });
  const fixed = await cli(['clients', 'update', 'cli-svc'], env, '{"type":"public"}');
  t.equal(fixed.code, 1);
  t.match(fixed.err, /type cannot change/);
  t.equal((await cli(['clients', 'update', 'cli-svc'], env, 'not json')).err, 'standard input must be a JSON object\n');
  t.match((await cli(['clients', 'update', 'web'], env, '{"scope":"x"}')).err, /CLIENTS_FILE/);

  const rotated = await cli(['clients', 'secret', 'cli-svc', '--grace', '60', '--json'], env);
  const next = rotated.json().client_secret as string;
  t.ok(next && next !== secret);
  t.equal((await issue(next)).status, 200);
  t.equal((await issue(secret)).status, 200, 'the old one during the grace');
  t.equal((await cli(['clients', 'secret', 'cli-svc', '--grace', 'soon'], env)).code, 1);
  t.equal((await cli(['clients', 'secret', 'cli-svc', '--limit', '3'], env)).code, 2, 'an option the command does not take');

  const introspect = (token: string) => introspectedActive(app, token);
  const token = (await issue(next)).body.access_token!;
  t.equal(await introspect(token), true);
  t.equal((await cli(['clients', 'delete', 'cli-svc'], env)).out, 'deleted client cli-svc\n');
  t.ok(await eventually(async () => (await issue(next)).status === 401, 1000), 'the running service refuses the client within a second');
  t.equal(await introspect(token), false, 'and its tokens');
  t.equal((await cli(['clients', 'delete', 'cli-svc'], env)).err, 'no such client\n');
});

t.test('keys: --json answers what the admin API answers, from KEYS_DIR alone (no store needed)', async (t) => {
  const { dir, kid } = await keysDirWithKey(t);
  const listed = await cli(['keys', 'list', '--json'], { KEYS_DIR: dir });
  t.equal(listed.code, 0, listed.err);
  t.match(JSON.parse(listed.out), [{ kid, state: 'signing', published: true, retired_at: null }]);
  const rotated = await cli(['keys', 'rotate', '--json'], { KEYS_DIR: dir });
  t.match(JSON.parse(rotated.out), { kid: String, state: 'pending' });
  t.match(rotated.err, /"action":"key_rotated".*"via":"cli"/, 'audited on standard error');
  const refused = await cli(['keys', 'retire', '--json', '--', kid], { KEYS_DIR: dir });
  t.equal(refused.code, 1);
  t.match(refused.err, /no other key is active yet/);
});
