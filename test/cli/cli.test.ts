import t from 'tap';
import { cli } from '../helpers/cli.js';
import { hashClientSecret } from '../../src/clients/secret.js';
import { buildTestApp, form, keysDirWithKey, tempDir, testClock } from '../helpers/app.js';
import { startRedis } from '../helpers/redis-server.js';
import { runBuilt } from '../helpers/spawn.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('clients secret prints a secret and its sha256 hash for CLIENTS_FILE', async (t) => {
  const { code, out, err } = await cli(['clients', 'secret']);
  t.equal(code, 0);
  const secret = /client_secret: +(\S+)/.exec(out)?.[1];
  const hash = /client_secret_hash: +(\S+)/.exec(out)?.[1];
  t.match(secret, /^[A-Za-z0-9_-]{43}$/);
  t.equal(hash, hashClientSecret(secret!));
  t.match(err, /only the hash/);
});

t.test('users add refuses the embedded store, whose state would die with the command', async (t) => {
  for (const env of [{}, { NODE_ENV: 'production', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' }] as Array<Record<string, string>>) {
    const refused = await cli(['users', 'add', 'ghost'], env, 'a good password\n');
    t.equal(refused.code, 1);
    t.match(refused.err, /^configuration error: REDIS_URL: this command writes to the store the service uses/);
    t.equal(refused.out, '', 'nothing claims the user was added');
  }
});

t.test('users add reads the password from stdin and writes to the configured Redis', async (t) => {
  const prefix = redis.prefix();
  const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
  const added = await cli(['users', 'add', 'Operator'], env, 'operator password\n');
  t.equal(added.code, 0, added.err);
  t.match(added.out, /^added user Operator \(id [0-9a-f-]{36}\)\n$/);
  t.notMatch(added.out + added.err, /operator password/, 'the password is never echoed');
  const again = await cli(['users', 'add', 'operator'], env, 'another password\n');
  t.equal(again.code, 1);
  t.match(again.err, /username is taken/);
  const weak = await cli(['users', 'add', 'newbie'], env, 'short\n');
  t.equal(weak.code, 1);
  t.match(weak.err, /at least 8 characters/);
  const { app } = await buildTestApp(t, { store: 'redis', redis: { ...redis, prefix: () => prefix } });
  const login = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'password', username: 'operator', password: 'operator password', client_id: 'web' }),
  });
  t.equal(login.statusCode, 200, 'the service sees the user the CLI added');
});

t.test('keys rotate, list and retire', async (t) => {
  const clock = testClock();
  const { dir, kid } = await keysDirWithKey(t, clock);
  const env = { KEYS_DIR: dir, JWKS_MAX_AGE: '60', KEYS_RELOAD_INTERVAL: '5' };
  const rotated = await cli(['keys', 'rotate'], env, '', clock);
  t.equal(rotated.code, 0);
  const newKid = /added key (\S+):/.exec(rotated.out)?.[1];
  t.ok(newKid);
  t.match(rotated.out, new RegExp(`signs from ${new Date((Math.floor(clock() / 1000) + 65) * 1000).toISOString()}`));
  const listed = await cli(['keys', 'list'], env, '', clock);
  t.match(listed.out, new RegExp(`${kid}  RS256  signing`));
  t.match(listed.out, new RegExp(`${newKid}  RS256  pending`));
  const early = await cli(['keys', 'retire', '--', kid], env, '', clock);
  t.equal(early.code, 1);
  t.match(early.err, /no other key is active yet/);
  clock.advance(65);
  const retired = await cli(['keys', 'retire', kid], env, '', clock);
  t.equal(retired.code, 0, retired.err);
  const after = await cli(['keys', 'list'], env, '', clock);
  t.match(after.out, new RegExp(`${kid}  RS256  retired`));
  t.match(after.out, new RegExp(`${newKid}  RS256  signing`));
});

t.test('a kid that begins with - is an argument, not an option (one kid in 64 does)', async (t) => {
  const { dir } = await keysDirWithKey(t);
  const result = await cli(['keys', 'retire', '-tQ5bXk'], { KEYS_DIR: dir });
  t.equal(result.code, 1, 'an error about the key, not a usage error (2)');
  t.match(result.err, /no key with kid -tQ5bXk/);
  const unknown = await cli(['keys', 'list', '--frobnicate']);
  t.equal(unknown.code, 2, 'an unknown --option is still a usage error');
  t.match(unknown.err, /unknown option --frobnicate/);
});

t.test('keys rotate in an empty KEYS_DIR makes a key that signs at once', async (t) => {
  const dir = await tempDir(t);
  const rotated = await cli(['keys', 'rotate'], { KEYS_DIR: dir });
  t.equal(rotated.code, 0);
  t.match((await cli(['keys', 'list'], { KEYS_DIR: dir })).out, / {2}signing {2}/);
});

t.test('usage errors exit 2 with the usage text; config errors exit 1 naming the variable', async (t) => {
  for (const argv of [[], ['frobnicate'], ['keys'], ['keys', 'retire'], ['users', 'add'], ['clients']]) {
    const result = await cli(argv);
    t.equal(result.code, 2, argv.join(' '));
    t.match(result.err, /usage: npm run cli/);
  }
  const bad = await cli(['keys', 'list'], { JWKS_MAX_AGE: 'soon' });
  t.equal(bad.code, 1);
  t.match(bad.err, /^configuration error: JWKS_MAX_AGE/);
});

t.test('--help for the CLI and every command; extra arguments and unknown options refused; errors in one line', async (t) => {
  const all = await cli(['--help']);
  t.equal(all.code, 0);
  const synopses = [
    'keys list',
    'keys rotate',
    'keys retire KID',
    'users list [--query QUERY] [--cursor CURSOR] [--limit LIMIT]',
    'users add NAME',
    'users disable USER',
    'users enable USER',
    'users delete USER',
    'users passwd USER',
    'sessions list USER [--cursor CURSOR] [--limit LIMIT]',
    'sessions end SID',
    'sessions end-all USER',
    'clients list [--cursor CURSOR] [--limit LIMIT]',
    'clients add',
    'clients update CLIENT_ID',
    'clients delete CLIENT_ID',
    'clients secret [CLIENT_ID] [--grace GRACE]',
    'openapi',
    'doctor',
  ];
  for (const synopsis of synopses) {
    t.match(all.out, synopsis);
    const words = synopsis.split(' ').filter((word) => /^[a-z-]+$/.test(word));
    const one = await cli([...words, '--help']);
    t.equal(one.code, 0, `${words.join(' ')} --help`);
    t.equal(one.out.split('\n')[0], `usage: npm run cli -- ${synopsis}`);
  }
  for (const argv of [
    ['keys', 'rotate', 'extra'],
    ['openapi', 'now'],
    ['users', 'add', 'a', 'b'],
    ['keys', 'list', '--verbose'],
  ]) {
    const refused = await cli(argv);
    t.equal(refused.code, 2, argv.join(' '));
    t.equal(refused.out, '', 'nothing done');
  }
  const missing = await cli(['keys', 'list'], { KEYS_DIR: '/nonexistent/keys' });
  t.equal(missing.code, 1);
  t.equal(missing.err, 'configuration error: KEYS_DIR: no such folder: /nonexistent/keys\n', 'one line, no stack trace');
});

t.test('a command group answers --help with its own commands; without a command it says which it takes', async (t) => {
  for (const [group, commands] of [
    ['keys', ['keys list', 'keys rotate', 'keys retire KID']],
    [
      'users',
      [
        'users list',
        'users add NAME',
        'users disable USER',
        'users enable USER',
        'users delete USER',
        'users passwd USER',
        'users email USER ADDRESS',
        'users verify-email USER',
        'users clear-email USER',
        'users send-verification USER',
        'users send-reset USER',
        'users mails USER',
        'users factors USER',
        'users reset-factors USER',
        'users remove-factor USER FACTOR',
        'users identities USER',
        'users unlink USER PROVIDER',
      ],
    ],
    ['sessions', ['sessions list USER', 'sessions end SID', 'sessions end-all USER']],
    ['clients', ['clients list', 'clients add', 'clients update CLIENT_ID', 'clients delete CLIENT_ID', 'clients secret']],
    ['providers', ['providers list', 'providers add', 'providers update ID', 'providers secret ID', 'providers delete ID']],
    ['resources', ['resources list', 'resources add', 'resources update RESOURCE', 'resources delete RESOURCE']],
  ] as const) {
    const help = await cli([group, '--help']);
    t.equal(help.code, 0, `${group} --help exits 0`);
    t.equal(help.err, '');
    const lines = help.out.trim().split('\n').slice(1);
    t.equal(lines.length, commands.length, `${group} --help lists its ${commands.length} commands, no others`);
    for (const command of commands)
      t.ok(
        lines.some((line) => line.trimStart().startsWith(command)),
        `${group} --help lists ${command}`,
      );
    const bare = await cli([group]);
    t.equal(bare.code, 2, `${group} alone is a usage error`);
    t.match(bare.err, new RegExp(`^${group} needs a command: ${group} list`), 'naming the commands it takes');
  }
  const unknown = await cli(['widgets', '--help']);
  t.equal(unknown.code, 2, 'an unknown group is still a usage error');
  t.match(unknown.err, /^unknown command: widgets/);
});

t.test('the built CLI runs as `npm run cli` runs it', async (t) => {
  const run = runBuilt('dist/cli/main.js', ['clients', 'secret'], {});
  t.equal(await run.exited, 0);
  t.match(run.stdout(), /client_secret_hash: sha256:[0-9a-f]{64}/);
});
