import t from 'tap';
import { keysDirWithKey, tempDir } from './helpers/app.js';
import { freePort, startRedis } from './helpers/redis-server.js';
import { runBuilt } from './helpers/spawn.js';
import { answersOk } from './helpers/listen.js';

// Each test starts dist/server.js (about two seconds of start-up apiece, more on a busy machine): tap's 30 s per
// file is too tight for a dozen of them, as a CI run with other work on the machine showed.
t.setTimeout(120_000);

async function waitFor(url: string, deadlineMs = 20_000): Promise<void> {
  if (!(await answersOk(url, deadlineMs, 100))) throw new Error(`${url} did not answer`);
}

/** The warnings (level 40) a server wrote before it answered /healthz. */
async function startWarnings(t: { teardown(fn: () => unknown): void }, env: Record<string, string>) {
  const port = await freePort();
  const run = runBuilt('dist/server.js', [], { PORT: String(port), HOST: '127.0.0.1', ...env });
  t.teardown(() => run.child.kill('SIGKILL'));
  await waitFor(`http://127.0.0.1:${port}/healthz`);
  const records = run
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown> & { level: number; msg: string });
  return { warnings: records.filter((record) => record.level === 40), stdout: run.stdout() };
}

t.test('an http ISSUER on a host other than loopback starts with a warning', async (t) => {
  const { dir } = await keysDirWithKey(t);
  const port = await freePort();
  const run = runBuilt('dist/server.js', [], {
    NODE_ENV: 'production',
    ISSUER: 'http://auth.example.com',
    STORE: 'memory',
    KEYS_DIR: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  t.teardown(() => run.child.kill('SIGKILL'));
  await waitFor(`http://127.0.0.1:${port}/healthz`);
  const warning = run
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .find((record) => /ISSUER is plain http/.test(record.msg));
  t.equal(warning?.level, 40);
});

t.test('the server warns about the embedded store, serves, and on SIGTERM finishes in-flight requests and exits 0', async (t) => {
  const port = await freePort();
  const dir = await tempDir(t);
  const base = `http://127.0.0.1:${port}`;
  // Costly hashing keeps the registration in flight while the signal arrives.
  const run = runBuilt('dist/server.js', [], { PORT: String(port), HOST: '127.0.0.1', KEYS_DIR: dir, ARGON2_MEMORY_KIB: '131072', ARGON2_TIME_COST: '6' });
  t.teardown(() => run.child.kill('SIGKILL'));
  await waitFor(`${base}/healthz`);
  t.match(run.stdout(), /no Redis is configured \(REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS\): using the embedded in-memory store/);
  t.match(run.stdout(), /generated a signing key/);
  const inFlight = fetch(`${base}/account/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'sigterm', password: 'long enough' }),
  });
  await new Promise((resolve) => setTimeout(resolve, 150));
  run.child.kill('SIGTERM');
  const response = await inFlight;
  t.equal(response.status, 201, 'the in-flight request completed');
  t.equal(response.headers.get('connection'), 'close', 'a response during shutdown closes its connection');
  t.equal(await run.exited, 0);
  await t.rejects(fetch(`${base}/healthz`), 'no longer listening');
  t.match(run.stdout(), /"signal":"SIGTERM"/);
  t.equal(run.stderr(), '', 'nothing on stderr (no schema compiler notice)');
  const lines = run.stdout().split('\n').filter(Boolean);
  t.same(
    lines.filter((line) => !line.startsWith('{')),
    [],
    'every line it printed is a JSON log line',
  );
});

t.test('with REDIS_URL the server keeps its state in Redis: a user registered on one instance logs in on another', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const dir = await tempDir(t);
  const env = { KEYS_DIR: dir, HOST: '127.0.0.1', REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix(), ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' };
  const [portA, portB] = [await freePort(), await freePort()];
  const a = runBuilt('dist/server.js', [], { ...env, PORT: String(portA) });
  t.teardown(() => a.child.kill('SIGKILL'));
  await waitFor(`http://127.0.0.1:${portA}/readyz`);
  const b = runBuilt('dist/server.js', [], { ...env, PORT: String(portB) });
  t.teardown(() => b.child.kill('SIGKILL'));
  await waitFor(`http://127.0.0.1:${portB}/readyz`);
  t.notMatch(a.stdout(), /embedded in-memory store/);
  const registered = await fetch(`http://127.0.0.1:${portA}/account/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'shared', password: 'long enough' }),
  });
  t.equal(registered.status, 201);
  const login = await fetch(`http://127.0.0.1:${portB}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: 'shared', password: 'long enough', client_id: 'web' }),
  });
  t.equal(login.status, 200);
  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
  t.equal(await a.exited, 0);
  t.equal(await b.exited, 0);
});

t.test('two instances started at once on an empty development KEYS_DIR publish the same one key', async (t) => {
  const dir = await tempDir(t);
  const ports = [await freePort(), await freePort()];
  const runs = ports.map((port) => runBuilt('dist/server.js', [], { PORT: String(port), HOST: '127.0.0.1', KEYS_DIR: dir }));
  for (const run of runs) t.teardown(() => run.child.kill('SIGKILL'));
  const jwks = await Promise.all(
    ports.map(async (port) => {
      await waitFor(`http://127.0.0.1:${port}/healthz`);
      return ((await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
    }),
  );
  t.equal(jwks[0]!.length, 1);
  t.same(jwks[1], jwks[0], "one key between them: each accepts the other's tokens at once");
});

t.test('a variable that looks like a setting but is none is warned about, with the setting it likely means; never its value', async (t) => {
  const { warnings, stdout } = await startWarnings(t, {
    KEYS_DIR: await tempDir(t),
    ACCES_TOKEN_TTL: '60',
    REDIS_HOST: 'secret-looking-value',
    // What Kubernetes puts into every pod for a service named redis: not ours, not warned about.
    REDIS_SERVICE_HOST: '10.0.0.1',
    REDIS_PORT: 'tcp://10.0.0.1:6379',
    UNRELATED_THING: 'x',
  });
  const about = (name: string) => warnings.filter((warning) => warning.variable === name);
  t.match(about('ACCES_TOKEN_TTL'), [
    { meant: 'ACCESS_TOKEN_TTL', msg: 'ACCES_TOKEN_TTL is not a setting of this service and is ignored: did you mean ACCESS_TOKEN_TTL?' },
  ]);
  t.match(about('REDIS_HOST'), [{ msg: /^REDIS_HOST is not a setting of this service and is ignored \(docs\/reference\/configuration\.md lists them\)$/ }]);
  t.same(about('REDIS_SERVICE_HOST'), []);
  t.same(about('REDIS_PORT'), []);
  t.same(about('UNRELATED_THING'), []);
  t.notMatch(stdout, /secret-looking-value/);
});

t.test('production warns once about open registration, unsealed authenticator keys and the password grant, naming the setting', async (t) => {
  const { dir } = await keysDirWithKey(t);
  const production = { NODE_ENV: 'production', ISSUER: 'https://auth.example.com', STORE: 'memory', KEYS_DIR: dir };
  const { warnings } = await startWarnings(t, production);
  t.match(
    warnings.filter((warning) => warning.setting === 'REGISTRATION'),
    [{ msg: /^REGISTRATION is open in production/ }],
  );
  t.match(
    warnings.filter((warning) => warning.setting === 'CLIENTS_FILE'),
    [{ clients: ['web'], msg: /password grant in production: web; .*RFC 9700/ }],
  );
  t.match(
    warnings.filter((warning) => warning.setting === 'MFA_SECRET_KEY'),
    [{ msg: /^MFA_SECRET_KEY is not set in production: authenticator apps' keys are stored unsealed/ }],
  );

  const { writeFile } = await import('node:fs/promises');
  const clientsFile = `${await tempDir(t)}/clients.json`;
  await writeFile(
    clientsFile,
    JSON.stringify([{ client_id: 'app', type: 'public', grant_types: ['authorization_code'], redirect_uris: ['https://app.example.com/cb'] }]),
  );
  const key = 'c2VhbGluZyBrZXkgb2YgdGhpcnR5LXR3byBieXRlcyE';
  const quiet = await startWarnings(t, { ...production, REGISTRATION: 'closed', CLIENTS_FILE: clientsFile, MFA_SECRET_KEY: key });
  t.same(
    quiet.warnings.filter((warning) => warning.setting !== undefined),
    [],
    'closed registration, a sealing key and no password grant: nothing to warn about',
  );
  t.notMatch(JSON.stringify(quiet.warnings), new RegExp(key), 'the key is never logged');
});
