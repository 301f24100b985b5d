import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { runSteps, shellBlocks, shownPattern, steps } from '../helpers/doc-blocks.js';
import { answersOk } from '../helpers/listen.js';
import { freePort } from '../helpers/redis-server.js';
import { repoPath, runBuilt } from '../helpers/spawn.js';

// The admin set-up of docs/operations/administration.md, pasted: the first block makes the admin client's secret and
// CLIENTS_FILE, the second starts the service as it says (here the built server, on free ports, with that file), the
// third gets an admin token and calls the admin API, which must answer what the document shows.

t.test('the admin set-up runs as pasted: a client with the admin scope, ADMIN_PORT, a token, an admin call', async (t) => {
  const blocks = shellBlocks(await readFile(repoPath('docs/operations/administration.md'), 'utf8'), '## Setting up the admin API');
  t.equal(blocks.length, 3, 'make the client, start the service, call the admin API');
  const cwd = await tempDir(t);
  const cli = `${process.execPath} ${repoPath('dist/cli/main.js')}`;
  const made = runSteps(steps(blocks[0]!), cwd, (commands) => commands.replaceAll('npm run --silent cli --', cli));
  t.equal(made.status, 0, made.stderr);
  t.match(made.stderr, /Give the secret to the client once/, 'the CLI says the secret is shown once');
  const clients = JSON.parse(await readFile(join(cwd, 'clients.json'), 'utf8')) as Array<Record<string, unknown>>;
  t.match(clients, [
    { client_id: 'ops', type: 'confidential', client_secret_hash: /^sha256:[0-9a-f]{64}$/, grant_types: ['client_credentials'], scope: 'admin' },
  ]);
  t.notOk('client_secret' in clients[0]!, 'the file holds the hash only');

  const start = /^((?:[A-Z_]+=\S+ )+)npm start$/m.exec(blocks[1]!);
  t.ok(start, 'the service is started with settings on the npm start line');
  const settings = Object.fromEntries(
    start![1]!
      .trim()
      .split(' ')
      .map((pair) => pair.split('=') as [string, string]),
  );
  t.same(Object.keys(settings).sort(), ['ADMIN_PORT', 'CLIENTS_FILE']);
  const [port, adminPort] = [await freePort(), await freePort()];
  const server = runBuilt('dist/server.js', [], {
    ...settings,
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_PORT: String(adminPort),
    CLIENTS_FILE: join(cwd, settings.CLIENTS_FILE!),
    KEYS_DIR: await tempDir(t),
  });
  t.teardown(() => server.child.kill('SIGKILL'));
  t.ok(await answersOk(`http://127.0.0.1:${port}/readyz`, 20_000, 100), server.stderr());

  const calls = steps(blocks[2]!);
  const run = runSteps(calls, cwd, (commands) =>
    commands.replaceAll('localhost:3000', `127.0.0.1:${port}`).replaceAll(`localhost:${settings.ADMIN_PORT}`, `127.0.0.1:${adminPort}`),
  );
  t.equal(run.status, 0, run.stderr);
  calls.forEach((step, i) => {
    if (step.shown === undefined) t.equal(run.outputs[i], '', `${step.commands.split('\n')[0]}: prints nothing`);
    else t.match(run.outputs[i], shownPattern(step.shown), `${step.commands.split('\n').at(-1)}: ${step.shown}`);
  });
});
