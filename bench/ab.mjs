// A/B: two builds of the service side by side, measured in alternating slices on this machine.
// Usage: node bench/ab.mjs DIST_A DIST_B [--scenarios jwks,forward_auth,introspection,client_credentials,refresh,password]
//        [--rounds 8] [--seconds 2] [--env NAME=VALUE,…] [--env-b NAME=VALUE,…]
// --env configures both builds (e.g. ALLOWED_ORIGINS=https://app.example to measure the CORS hook).
// --env-b configures B differently (the same build twice compares two settings: dist dist --env-b ARGON2_MAX_CONCURRENT=3).
// A build is a folder holding server.js, inside the repository so that it finds node_modules, e.g.
//   git stash && npx tsc -p tsconfig.build.json --outDir .ab/before && git stash pop && npm run build
//   node bench/ab.mjs .ab/before dist
// Each round measures one slice of A and one of B (the order alternates between rounds), so a machine whose
// speed drifts slows both alike. Prints, per scenario, the median requests per second of each build, the median
// of the rounds' B/A ratios, and the CPU time each service spent per request (all of its threads, from /proc).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuMs, load, median, post, refreshChains, serviceLoads, startTokensmith, stopChildren } from './lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const [distA, distB] = args.filter((arg, i) => !arg.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!distA || !distB) {
  process.stderr.write('usage: node bench/ab.mjs DIST_A DIST_B [--scenarios a,b] [--rounds N] [--seconds S]\n');
  process.exit(2);
}
const scenarioNames = option('--scenarios', 'jwks,forward_auth,introspection,client_credentials').split(',');
const rounds = Number(option('--rounds', 8));
const seconds = Number(option('--seconds', 2));
const envOption = (name) =>
  Object.fromEntries(
    option(name, '')
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
const envBoth = envOption('--env');
const envB = { ...envBoth, ...envOption('--env-b') };
/** Logins still queued for argon2 when a slice ends would run into the next slice: they are let finish. */
const SETTLE_MS = { password: 1500 };

async function startBuild(dist, env = {}) {
  const work = mkdtempSync(join(tmpdir(), 'tokensmith-ab-'));
  const tokensmith = await startTokensmith({ dist: resolve(dist), work, env });
  const userToken = (await post(`${tokensmith.base}/oauth/token`, tokensmith.login)).body.access_token;
  return { ...tokensmith, work, loads: serviceLoads(tokensmith, userToken), refresh: await refreshChains(tokensmith) };
}

async function slice(build, scenario) {
  const before = cpuMs(build.pid);
  const result = scenario === 'refresh' ? await build.refresh({ duration: seconds }) : await load({ ...build.loads[scenario], duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${scenario}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  const cpuUs = ((cpuMs(build.pid) - before) * 1000) / result.ok;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS[scenario] ?? 0));
  return { rps: result.ok / seconds, cpuUs };
}

const builds = { A: await startBuild(distA, envBoth), B: await startBuild(distB, envB) };
try {
  for (const scenario of scenarioNames) {
    const samples = { A: [], B: [] };
    await slice(builds.A, scenario);
    await slice(builds.B, scenario);
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 ? ['B', 'A'] : ['A', 'B']) samples[name].push(await slice(builds[name], scenario));
    }
    const rps = (name) => Math.round(median(samples[name].map((sample) => sample.rps)));
    const cpu = (name) => median(samples[name].map((sample) => sample.cpuUs)).toFixed(1);
    const ratio = median(samples.B.map((sample, round) => sample.rps / samples.A[round].rps));
    process.stdout.write(
      `${scenario}: A ${rps('A')} req/s, ${cpu('A')} µs CPU/req | B ${rps('B')} req/s, ${cpu('B')} µs CPU/req | B/A ${ratio.toFixed(3)} (median of ${rounds} rounds)\n`,
    );
  }
} finally {
  stopChildren();
  for (const build of Object.values(builds)) rmSync(build.work, { recursive: true, force: true });
}
