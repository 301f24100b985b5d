/**
 * The server refuses to start on what it cannot run with: one line naming the setting (or the Node.js version), and a
 * non-zero exit. Apart from test/server.test.ts (a server that starts), so each file stays well inside tap's timeout.
 */
import t from 'tap';
import { keysDirWithKey, tempDir } from './helpers/app.js';
import { freePort } from './helpers/redis-server.js';
import { runBuilt } from './helpers/spawn.js';

// Each test starts dist/server.js (about two seconds of start-up apiece, more on a busy machine): tap's 30 s per
// file is too tight for a dozen of them, as a CI run with other work on the machine showed.
t.setTimeout(120_000);

t.test('a bad configuration value stops the start with one line naming it and a non-zero exit', async (t) => {
  const run = runBuilt('dist/server.js', [], { PORT: 'abc' });
  t.equal(await run.exited, 1);
  t.equal(run.stderr(), 'configuration error: PORT: expected a whole number from 0 to 65535, got "abc"\n');
});

t.test('production without a key in KEYS_DIR does not start', async (t) => {
  const dir = await tempDir(t);
  const run = runBuilt('dist/server.js', [], {
    NODE_ENV: 'production',
    ISSUER: 'https://auth.example.com',
    STORE: 'memory',
    KEYS_DIR: dir,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
  });
  t.equal(await run.exited, 1);
  t.match(run.stderr(), /^configuration error: KEYS_DIR: no private key \(\*\.pem, PKCS#8: RSA of at least 2048 bits, or P-256\)/);
  t.equal(run.stderr().trim().split('\n').length, 1);
});

t.test('production without REDIS_URL, or without ISSUER, does not start: one line naming the variable', async (t) => {
  const { dir } = await keysDirWithKey(t);
  const base = { NODE_ENV: 'production', KEYS_DIR: dir, PORT: String(await freePort()), HOST: '127.0.0.1' };
  const noRedis = runBuilt('dist/server.js', [], { ...base, ISSUER: 'https://auth.example.com' });
  t.equal(await noRedis.exited, 1);
  t.equal(
    noRedis.stderr(),
    'configuration error: REDIS_URL: required in production (or REDIS_CLUSTER_NODES or REDIS_SENTINELS; or STORE=memory to keep all state in this one process)\n',
  );
  const noIssuer = runBuilt('dist/server.js', [], { ...base, STORE: 'memory' });
  t.equal(await noIssuer.exited, 1);
  t.match(noIssuer.stderr(), /^configuration error: ISSUER: required in production/);
  t.equal(noIssuer.stderr().trim().split('\n').length, 1);
});

t.test('a CLIENTS_FILE with a plain-text secret does not start', async (t) => {
  const dir = await tempDir(t);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    `${dir}/clients.json`,
    JSON.stringify([{ client_id: 'svc', type: 'confidential', client_secret: 'plain', grant_types: ['client_credentials'] }]),
  );
  const run = runBuilt('dist/server.js', [], { KEYS_DIR: dir, CLIENTS_FILE: `${dir}/clients.json`, PORT: String(await freePort()), HOST: '127.0.0.1' });
  t.equal(await run.exited, 1);
  t.match(run.stderr(), /^configuration error: CLIENTS_FILE: entry 0 \("svc"\) holds a plain-text client_secret/);
  t.notMatch(run.stderr(), /plain"/);
});

t.test('a KEYS_DIR that cannot be a folder stops the start with one line naming the variable and the path', async (t) => {
  const dir = await tempDir(t);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(`${dir}/a-file`, 'not a folder');
  for (const keysDir of [`${dir}/a-file`, `${dir}/a-file/keys`]) {
    const run = runBuilt('dist/server.js', [], { KEYS_DIR: keysDir, PORT: String(await freePort()), HOST: '127.0.0.1' });
    t.equal(await run.exited, 1);
    t.equal(run.stderr(), `configuration error: KEYS_DIR: cannot create ${keysDir}: a file stands where a folder should be\n`);
  }
});

t.test('Node.js before 22 is refused: one line naming the version and the supported ones', async (t) => {
  const { unsupportedNode } = await import('../src/node-version.js');
  t.equal(unsupportedNode('24.1.0'), undefined);
  t.equal(unsupportedNode('22.12.0'), undefined);
  t.equal(
    unsupportedNode('20.20.2'),
    'Node.js 20.20.2 is not supported: tokensmith runs on Node.js 22 or 24 (the version in .nvmrc; CONTRIBUTING.md says how to get it)',
  );
  const { readFile } = await import('node:fs/promises');
  const { repoPath } = await import('./helpers/spawn.js');
  t.equal((await readFile(repoPath('.nvmrc'), 'utf8')).trim(), '24', '.nvmrc names the line CI runs');
  const engines = (JSON.parse(await readFile(repoPath('package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  t.equal(engines, '^22.12.0 || ^24.0.0', 'package.json engines says the same lines');
  // These machines carry Debian's Node 20 beside the Node 24 the suite runs on: the built server refuses it.
  const { spawnSync } = await import('node:child_process');
  const old = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
  t.match(old.stdout, /^20\./, "Debian's Node 20 is at /usr/bin/node");
  const run = spawnSync('/usr/bin/node', [repoPath('dist/server.js')], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', PORT: '0' }, timeout: 20_000 });
  t.equal(run.status, 1);
  t.equal(
    run.stderr,
    `start-up failed: Node.js ${old.stdout.trim()} is not supported: tokensmith runs on Node.js 22 or 24 (the version in .nvmrc; CONTRIBUTING.md says how to get it)\n`,
  );
});
