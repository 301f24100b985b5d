import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { answersOk } from '../helpers/listen.js';
import { freePort } from '../helpers/redis-server.js';
import { repoPath, runBuilt } from '../helpers/spawn.js';

// The README's quick start, pasted: every shell block after the first (which installs and starts) runs as written,
// in one bash session against a freshly started service, and what each command prints must match the comment the
// README shows under it, where `…` stands for what differs between runs.

/** The shell blocks of the README's Quick start section. */
async function quickStartBlocks(): Promise<string[]> {
  const readme = await readFile(repoPath('README.md'), 'utf8');
  const section = /^## Quick start\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** A block as commands, each with the output its comment shows (undefined when it shows none). */
function segments(block: string): Array<{ commands: string; shown?: string }> {
  const found: Array<{ commands: string; shown?: string }> = [];
  let commands: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('# ')) {
      found.push({ commands: commands.join('\n'), shown: line.slice(2) });
      commands = [];
    } else if (line.trim() !== '') commands.push(line);
  }
  if (commands.length > 0) found.push({ commands: commands.join('\n') });
  return found;
}

/** The comment as a pattern of the whole output: literal, with each `…` (and the characters it finishes) anything. */
function pattern(shown: string): RegExp {
  const escaped = shown.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/[A-Za-z0-9]*…/g, '[^"]*?')}$`);
}

t.test('the quick start runs as pasted and prints what the README shows', async (t) => {
  const blocks = await quickStartBlocks();
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

  const steps = blocks.slice(1).flatMap(segments);
  const marker = '@@end of step@@';
  const script = [
    'set -euo pipefail',
    ...steps.map((step) => `${step.commands.replaceAll('localhost:3000', `127.0.0.1:${port}`)}\nprintf '\\n%s\\n' '${marker}'`),
  ].join('\n');
  const run = spawnSync('bash', ['-c', script], {
    cwd: await tempDir(t),
    encoding: 'utf8',
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp' },
    timeout: 60_000,
  });
  t.equal(run.status, 0, `every command succeeds: ${run.stderr}`);
  const outputs = run.stdout.split(`\n${marker}\n`);
  t.equal(outputs.length, steps.length + 1, 'every step ran');
  steps.forEach((step, i) => {
    const output = outputs[i]!.trim();
    if (step.shown === undefined) t.equal(output, '', `${step.commands.split('\n')[0]}: prints nothing`);
    else t.match(output, pattern(step.shown), `${step.commands.split('\n')[0]}: ${step.shown.slice(0, 60)}`);
  });
  t.ok(
    steps.some((step) => step.commands.includes('grant_type=refresh_token')),
    'the quick start refreshes',
  );
});
