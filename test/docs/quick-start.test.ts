import { readFile } from 'node:fs/promises';
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { runSteps, shellBlocks, shownPattern, steps } from '../helpers/doc-blocks.js';
import { answersOk } from '../helpers/listen.js';
import { freePort } from '../helpers/redis-server.js';
import { repoPath, runBuilt } from '../helpers/spawn.js';

// The README's quick start, pasted: every shell block after the first (which installs and starts) runs as written,
// in one bash session against a freshly started service, and what each command prints must match the comment the
// README shows under it, where `…` stands for what differs between runs.

t.test('the quick start runs as pasted and prints what the README shows', async (t) => {
  const blocks = shellBlocks(await readFile(repoPath('README.md'), 'utf8'), '## Quick start');
  t.ok(blocks.length >= 3, `${blocks.length} shell blocks`);
  t.match(blocks[0], /npm ci && npm start/, 'the first block installs and starts (the test starts the built service itself)');
  const port = await freePort();
  const server = runBuilt('dist/server.js', [], {
    PORT: String(port),
    HOST: '127.0.0.1',
    KEYS_DIR: await tempDir(t),
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
  });
  t.teardown(() => server.child.kill('SIGKILL'));
  t.ok(await answersOk(`http://127.0.0.1:${port}/healthz`, 20_000, 100), server.stderr());

  const all = blocks.slice(1).flatMap(steps);
  const run = runSteps(all, await tempDir(t), (commands) => commands.replaceAll('localhost:3000', `127.0.0.1:${port}`));
  t.equal(run.status, 0, `every command succeeds: ${run.stderr}`);
  t.equal(run.outputs.length, all.length + 1, 'every step ran');
  all.forEach((step, i) => {
    if (step.shown === undefined) t.equal(run.outputs[i], '', `${step.commands.split('\n')[0]}: prints nothing`);
    else t.match(run.outputs[i], shownPattern(step.shown), `${step.commands.split('\n')[0]}: ${step.shown.slice(0, 60)}`);
  });
  t.ok(
    all.some((step) => step.commands.includes('grant_type=refresh_token')),
    'the quick start refreshes',
  );
});
