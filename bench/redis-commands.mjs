// node bench/redis-commands.mjs [scenario …]: the Redis commands per request of each scenario (refresh, password,
// introspection, forward_auth, client_credentials, jwks), from INFO commandstats over a 2 s run of the built service
// (dist/) on its own redis-server, after a 1 s warm-up. Commands inside a script are counted too (under their names),
// beside the EVALSHA that ran them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, post, refreshChains, root, serviceLoads, startTokensmith, stopChildren } from './lib.mjs';

const scenarios = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['refresh', 'introspection', 'forward_auth', 'client_credentials'];
const work = mkdtempSync(join(tmpdir(), 'tokensmith-commands-'));
try {
  const tokensmith = await startTokensmith({ dist: join(root, 'dist'), work });
  const redisUrl = readFileSync(`/proc/${tokensmith.pid}/environ`, 'utf8')
    .split('\0')
    .find((entry) => entry.startsWith('REDIS_URL='));
  const redis = (...args) => execFileSync('redis-cli', ['-p', new URL(redisUrl.slice('REDIS_URL='.length)).port, ...args], { encoding: 'utf8' });
  const userToken = (await post(`${tokensmith.base}/oauth/token`, tokensmith.login)).body.access_token;
  const loads = serviceLoads(tokensmith, userToken);
  const chains = await refreshChains(tokensmith);
  const run = (scenario, duration) => (scenario === 'refresh' ? chains({ duration }) : load({ ...loads[scenario], duration }));
  for (const scenario of scenarios) {
    await run(scenario, 1);
    redis('CONFIG', 'RESETSTAT');
    const { ok } = await run(scenario, 2);
    const counts = redis('INFO', 'commandstats')
      .split('\n')
      .filter((line) => line.startsWith('cmdstat_') && !line.startsWith('cmdstat_config'))
      .map((line) => `${line.slice('cmdstat_'.length, line.indexOf(':'))} ${(Number(/calls=(\d+)/.exec(line)[1]) / ok).toFixed(2)}`);
    process.stdout.write(`${scenario} (${ok} requests): ${counts.join(', ') || 'none'} per request\n`);
  }
} finally {
  stopChildren();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
