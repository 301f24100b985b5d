import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { repoPath } from '../helpers/spawn.js';

t.setTimeout(240_000);

t.test('npm run bench keeps working: one quick pass (1 s per scenario) prints and saves every ratio', { timeout: 180_000 }, async (t) => {
  const out = await tempDir(t, 'tokensmith-bench-out-');
  const run = spawnSync(process.execPath, [repoPath('bench/run.mjs'), '--quick'], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_OUT: out },
    timeout: 170_000,
  });
  t.equal(run.status, 0, run.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'quick.json'), 'utf8'));
  for (const key of [
    'jwks_vs_bare',
    'client_credentials_vs_peer',
    'client_credentials_vs_raw_sign',
    'client_credentials_es256_vs_rs256',
    'client_credentials_es256_vs_raw_sign',
    'refresh_vs_raw_sign',
    'introspection_vs_peer',
    'forward_auth_vs_bare',
    'password_vs_raw_argon2',
  ]) {
    t.ok(Number.isFinite(summary.ratios[key]) && summary.ratios[key] > 0, `${key} measured (${summary.ratios[key]})`);
    t.match(run.stdout, new RegExp(`\\| ${summary.ratios[key].toFixed(3)} \\|`), `${key} printed`);
  }
  t.same(Object.values(summary.runs[0].non2xx), [0, 0, 0, 0, 0, 0, 0], 'every measured request succeeded');
  t.ok(summary.loader.ceiling_rps > summary.rps.bare / 4, `the load generator's ceiling measured (${summary.loader.ceiling_rps} req/s)`);
  t.match(run.stdout, /^Load generator ceiling \(wrk against a trivial responder\): \d+ req\/s; share of it: bare \d+ %/m, 'and printed');
  t.ok(summary.peak_rss_mb > 0);
  t.ok(Number.isFinite(summary.jwks_p99_ms_during_logins));
  t.match(readFileSync(join(out, 'quick.svg'), 'utf8'), /^<svg /);
});

t.test('bench/ab.mjs keeps working: the same build against itself, one round, prints both rates and their ratio', { timeout: 120_000 }, async (t) => {
  const run = spawnSync(
    process.execPath,
    [repoPath('bench/ab.mjs'), repoPath('dist'), repoPath('dist'), '--scenarios', 'jwks,introspection', '--rounds', '1', '--seconds', '1'],
    { encoding: 'utf8', timeout: 110_000 },
  );
  t.equal(run.status, 0, run.stderr);
  for (const scenario of ['jwks', 'introspection']) {
    const line = new RegExp(
      `^${scenario}: A (\\d+) req/s, [\\d.]+ µs CPU/req \\| B (\\d+) req/s, [\\d.]+ µs CPU/req \\| B/A ([\\d.]+) \\(median of 1 rounds\\)$`,
      'm',
    ).exec(run.stdout);
    t.ok(line, `${scenario} printed: ${run.stdout}`);
    t.ok(Number(line?.[1]) > 0 && Number(line?.[2]) > 0 && Number(line?.[3]) > 0, `${scenario} measured`);
  }
});
