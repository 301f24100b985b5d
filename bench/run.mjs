// npm run bench: the service against its references, measured side by side in one run on this machine.
// Every number that matters is a ratio to a reference measured in the same run (absolute numbers drift
// between machines; ratios hold). Each run measures every scenario in ROUNDS interleaved slices (a slice of
// each scenario in turn, ROUNDS times), so that a machine whose speed drifts during the run (shared cores)
// slows a scenario and its reference alike; a ratio is the median of the rounds' ratios (in the summary,
// over every round of every run). Options: --quick (one 1 s slice per scenario, for the smoke
// test), --runs N (default 2), --table (print the table of bench/results/latest.json again),
// --only a,b (only these scenarios, e.g. introspection,peer_introspection; written to bench/results/only.json).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.mjs';
import {
  basic,
  form,
  FORM,
  freePort,
  load as loadSlice,
  median,
  memoryBytes,
  post,
  refreshChains,
  root,
  serviceLoads,
  start,
  startTokensmith,
  stopChildren,
  waitFor,
} from './lib.mjs';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 1 : 2;
const duration = quick ? 1 : 5;
const warmup = quick ? 0 : 1;
/** Interleaved slices per scenario and run: each lasts duration / ROUNDS seconds. */
const ROUNDS = quick ? 1 : 5;
const slice = duration / ROUNDS;
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : undefined;
const outDir = process.env.BENCH_OUT ?? join(root, 'bench', 'results');

const TARGETS = {
  jwks_vs_bare: 1,
  client_credentials_vs_peer: 2,
  client_credentials_vs_raw_sign: 0.8,
  client_credentials_es256_vs_rs256: 5,
  client_credentials_es256_vs_raw_sign: 0.6,
  refresh_vs_raw_sign: 0.7,
  introspection_vs_peer: 4,
  forward_auth_vs_bare: 0.9,
  password_vs_raw_argon2: 0.95,
};

/** The service's scenarios whose non-2xx answers the JSON counts (a non-2xx answer is not a measured request). */
const NON2XX_COUNTED = ['jwks', 'client_credentials', 'client_credentials_es256', 'refresh', 'introspection', 'forward_auth', 'password'];

/** Each target's scenario and its reference, as named in the scenario list. */
const PAIRS = {
  jwks_vs_bare: ['jwks', 'bare'],
  client_credentials_vs_peer: ['client_credentials', 'peer_client_credentials'],
  client_credentials_vs_raw_sign: ['client_credentials', 'raw_rs256'],
  // The same service with SIGNING_ALG=ES256 against itself with RS256, and against raw P-256 signing.
  client_credentials_es256_vs_rs256: ['client_credentials_es256', 'client_credentials'],
  client_credentials_es256_vs_raw_sign: ['client_credentials_es256', 'raw_es256'],
  refresh_vs_raw_sign: ['refresh', 'raw_rs256'],
  introspection_vs_peer: ['introspection', 'peer_introspection'],
  forward_auth_vs_bare: ['forward_auth', 'bare'],
  password_vs_raw_argon2: ['password', 'raw_argon2'],
};

function runNode(script, args) {
  const result = spawnSync(process.execPath, [join(root, 'bench', script), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

const load = (options) => loadSlice({ duration: slice, ...options });

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'tokensmith-bench-'));
  const [referencePort, peerPort, trivialPort] = [await freePort(), await freePort(), await freePort()];
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the service (node --cpu-prof) there when it stops.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const tokensmith = await startTokensmith({ dist: join(root, 'dist'), work, nodeArgs: profile });
  // A second instance whose keys are P-256 (SIGNING_ALG=ES256), for the ES256 scenario only.
  const es256Work = join(work, 'es256');
  mkdirSync(es256Work);
  const es256 = await startTokensmith({ dist: join(root, 'dist'), work: es256Work, env: { SIGNING_ALG: 'ES256' } });
  const { base, login } = tokensmith;
  start(process.execPath, [join(root, 'bench', 'reference.mjs'), String(referencePort)]);
  start(process.execPath, [join(root, 'bench', 'peer-oidc-provider.mjs'), String(peerPort)]);
  start(process.execPath, [join(root, 'bench', 'trivial.mjs'), String(trivialPort)]);
  const reference = `http://127.0.0.1:${referencePort}/ping`;
  const trivial = `http://127.0.0.1:${trivialPort}/`;
  await waitFor(async () => (await fetch(trivial)).ok, 'trivial responder');
  const peer = `http://127.0.0.1:${peerPort}`;
  await waitFor(async () => (await fetch(reference)).ok, 'reference');
  await waitFor(async () => (await fetch(`${peer}/.well-known/openid-configuration`)).ok, 'node-oidc-provider');

  const userToken = (await post(`${base}/oauth/token`, login)).body.access_token;
  const loads = serviceLoads(tokensmith, userToken);
  const peerOpaque = (
    await post(
      `${peer}/token`,
      { grant_type: 'client_credentials', scope: 'orders:read', resource: 'https://opaque.example' },
      { authorization: basic('bench-svc', 'bench-secret') },
    )
  ).body.access_token;

  const refreshLoad = await refreshChains(tokensmith);
  // Each scenario measures one slice and answers { count, seconds, non2xx, p99? }. Each is listed next to its
  // reference, so that the two slices of a round's ratio are measured moments apart.
  const counted = (result) => ({ count: result.ok, seconds: result.seconds ?? slice, non2xx: result.non2xx, p99: result.p99 });
  const scenarios = {
    // The load generator's own ceiling: what it reaches against a server that does almost nothing.
    loader_ceiling: async () => counted(await load({ url: trivial })),
    bare: async () => counted(await load({ url: reference })),
    jwks: async () => counted(await load(loads.jwks)),
    forward_auth: async () => counted(await load(loads.forward_auth)),
    peer_client_credentials: async () =>
      counted(
        await load({
          url: `${peer}/token`,
          method: 'POST',
          headers: { ...FORM, authorization: basic('bench-svc', 'bench-secret') },
          body: form({ grant_type: 'client_credentials', scope: 'orders:read' }),
        }),
      ),
    client_credentials: async () => counted(await load(loads.client_credentials)),
    raw_rs256: async () => runNode('raw-rates.mjs', ['rs256', String(slice)]),
    client_credentials_es256: async () => counted(await load(serviceLoads(es256, '').client_credentials)),
    raw_es256: async () => runNode('raw-rates.mjs', ['es256', String(slice)]),
    refresh: async () => counted(await refreshLoad({ duration: slice })),
    peer_introspection: async () =>
      counted(
        await load({
          url: `${peer}/token/introspection`,
          method: 'POST',
          headers: { ...FORM, authorization: basic('bench-svc', 'bench-secret') },
          body: form({ token: peerOpaque }),
        }),
      ),
    introspection: async () => counted(await load(loads.introspection)),
    raw_argon2: async () => runNode('raw-rates.mjs', ['argon2', String(slice)]),
    password: async () => {
      const [password, jwksDuringLogins] = await Promise.all([
        load({ url: `${base}/oauth/token`, method: 'POST', headers: FORM, body: form(login) }),
        load({ ...loads.jwks, connections: 1, overallRate: 50 }),
      ]);
      // Logins still queued for argon2 when the slice ends would run into the next slice: let them finish.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return { ...counted(password), p99: jwksDuringLogins.p99 };
    },
  };

  if (only) for (const name of Object.keys(scenarios)) if (!only.includes(name) && name !== 'loader_ceiling') delete scenarios[name];
  const pairs = Object.fromEntries(Object.entries(PAIRS).filter(([, names]) => names.every((name) => name in scenarios)));
  const results = [];
  for (let run = 1; run <= runs; run++) {
    if (warmup > 0) for (const measure of Object.values(scenarios)) await measure();
    const totals = Object.fromEntries(Object.keys(scenarios).map((name) => [name, { count: 0, seconds: 0, non2xx: 0, p99: 0, rates: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, measure] of Object.entries(scenarios)) {
        const result = await measure();
        const total = totals[name];
        total.count += result.count;
        total.seconds += result.seconds;
        total.non2xx += result.non2xx ?? 0;
        total.p99 = Math.max(total.p99, result.p99 ?? 0);
        total.rates.push(result.count / result.seconds);
      }
    }
    const rate = Object.fromEntries(Object.entries(totals).map(([name, total]) => [name, total.count / total.seconds]));
    const raw = { rs256: rate.raw_rs256, es256: rate.raw_es256, argon2: rate.raw_argon2 };
    // A ratio is the median over the rounds of the round's ratio: a round that a burst of load from elsewhere
    // on the machine hit on one side only does not decide it.
    const roundRatios = Object.fromEntries(
      Object.entries(pairs).map(([key, [subject, reference]]) => [key, totals[subject].rates.map((value, round) => value / totals[reference].rates[round])]),
    );
    const rss = memoryBytes(tokensmith.pid, 'VmHWM');
    results.push({
      run,
      raw,
      rps: {
        bare: rate.bare,
        jwks: rate.jwks,
        client_credentials: rate.client_credentials,
        client_credentials_es256: rate.client_credentials_es256,
        peer_client_credentials: rate.peer_client_credentials,
        refresh: rate.refresh,
        introspection: rate.introspection,
        peer_introspection: rate.peer_introspection,
        forward_auth: rate.forward_auth,
        password: rate.password,
      },
      non2xx: Object.fromEntries(NON2XX_COUNTED.filter((name) => name in totals).map((name) => [name, totals[name].non2xx])),
      round_ratios: roundRatios,
      ratios: Object.fromEntries(Object.entries(roundRatios).map(([key, values]) => [key, median(values)])),
      jwks_p99_ms_during_logins: totals.password?.p99,
      peak_rss_bytes: rss,
      rss_bytes: memoryBytes(tokensmith.pid, 'VmRSS'),
      slices: Object.fromEntries(Object.entries(totals).map(([name, total]) => [name, total.rates.map(Math.round)])),
    });
  }
  // Every round of every run, by target: each round is one paired sample.
  const everyRound = Object.fromEntries(Object.keys(pairs).map((key) => [key, results.flatMap((result) => result.round_ratios[key])]));
  const first = results[0];
  const last = results.at(-1);
  const summary = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version },
    settings: { duration_s: duration, warmup_s: warmup, rounds: ROUNDS, connections: 32, runs },
    targets: TARGETS,
    // The summary ratio is the median over every round of every run.
    ratios: Object.fromEntries(Object.entries(everyRound).map(([key, all]) => [key, median(all)])),
    // The lowest and highest per-round ratio over every round of every run.
    spread: Object.fromEntries(Object.entries(everyRound).map(([key, all]) => [key, [Math.min(...all), Math.max(...all)]])),
    loader: loaderShares(results),
    rps: last.rps,
    raw: last.raw,
    jwks_p99_ms_during_logins: last.jwks_p99_ms_during_logins,
    peak_rss_mb: last.peak_rss_bytes / 2 ** 20,
    rss_growth: runs > 1 ? last.peak_rss_bytes / first.peak_rss_bytes - 1 : 0,
    runs: results,
  };
  mkdirSync(outDir, { recursive: true });
  if (only) {
    writeFileSync(join(outDir, 'only.json'), `${JSON.stringify(summary, null, 2)}\n`);
  } else {
    writeFileSync(join(outDir, quick ? 'quick.json' : 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(join(outDir, quick ? 'quick.svg' : 'latest.svg'), renderChart(summary));
  }
  printTable(summary);
  rmSync(work, { recursive: true, force: true });
}

/** Load-generated scenarios, whose rate the load generator's own ceiling could cap. */
const LOADED = [
  'bare',
  'jwks',
  'forward_auth',
  'introspection',
  'client_credentials',
  'client_credentials_es256',
  'peer_client_credentials',
  'peer_introspection',
];

/**
 * The load generator's ceiling (median of its slices against the trivial responder) and each loaded scenario's
 * median rate as a share of it; a share above one half is a warning that the load generator, not the server, may
 * have set that rate.
 */
function loaderShares(results) {
  const rates = (name) => results.flatMap((result) => result.slices[name] ?? []);
  const ceiling = median(rates('loader_ceiling'));
  const share = Object.fromEntries(LOADED.filter((name) => rates(name).length > 0).map((name) => [name, median(rates(name)) / ceiling]));
  const warnings = Object.entries(share)
    .filter(([, fraction]) => fraction > 0.5)
    .map(([name, fraction]) => `${name} reached ${(fraction * 100).toFixed(0)} % of the load generator's ceiling: the load generator may have capped it`);
  return { ceiling_rps: ceiling, share, warnings };
}

/** The table's rows: a label per target, and the digits its rates are printed with (one for the slow logins). */
const TABLE_ROWS = [
  ['JWKS vs bare Fastify route', 'jwks_vs_bare'],
  ['client_credentials vs node-oidc-provider', 'client_credentials_vs_peer'],
  ['client_credentials vs raw RS256 signing', 'client_credentials_vs_raw_sign'],
  ['client_credentials, ES256 vs RS256', 'client_credentials_es256_vs_rs256'],
  ['client_credentials, ES256 vs raw ES256 signing', 'client_credentials_es256_vs_raw_sign'],
  ['refresh_token vs raw RS256 signing', 'refresh_vs_raw_sign'],
  ['introspection vs node-oidc-provider', 'introspection_vs_peer'],
  ['forward-auth vs bare Fastify route', 'forward_auth_vs_bare'],
  ['password grant vs raw argon2id', 'password_vs_raw_argon2', 1],
];

/** A target's two rates as measured in the last run (PAIRS names them): requests, or raw operations, per second. */
function measuredRates(summary, key, digits) {
  const rate = (name) => (name.startsWith('raw_') ? summary.raw[name.slice('raw_'.length)] : summary.rps[name]);
  const [scenario, reference] = PAIRS[key];
  return `${rate(scenario)?.toFixed(digits)} / ${rate(reference)?.toFixed(digits)} ${reference.startsWith('raw_') ? 'per s' : 'req/s'}`;
}

function printTable(summary) {
  const rows = TABLE_ROWS.map(([name, key, digits = 0]) => [name, key, measuredRates(summary, key, digits)]);
  const rounds = summary.settings.rounds * summary.settings.runs;
  const lines = [
    `| scenario | measured (last run) | ratio (median of ${rounds} rounds) | rounds' range | target | met |`,
    `| --- | --- | --- | --- | --- | --- |`,
  ];
  for (const [name, key, measured] of rows) {
    if (!(key in summary.ratios)) continue;
    const ratio = summary.ratios[key];
    const target = summary.targets[key];
    const [low, high] = summary.spread[key];
    lines.push(`| ${name} | ${measured} | ${ratio.toFixed(3)} | ${low.toFixed(2)}–${high.toFixed(2)} | ≥ ${target} | ${ratio >= target ? 'yes' : 'no'} |`);
  }
  if (summary.jwks_p99_ms_during_logins !== undefined)
    lines.push(
      `| JWKS p99 while logins saturate the CPU | ${summary.jwks_p99_ms_during_logins} ms | | | < 50 ms | ${summary.jwks_p99_ms_during_logins < 50 ? 'yes' : 'no'} |`,
    );
  lines.push(`| peak RSS of the service | ${summary.peak_rss_mb.toFixed(0)} MB | | | < 200 MB | ${summary.peak_rss_mb < 200 ? 'yes' : 'no'} |`);
  lines.push(`| peak RSS growth, run 2 over run 1 | ${(summary.rss_growth * 100).toFixed(1)} % | | | ≤ 10 % | ${summary.rss_growth <= 0.1 ? 'yes' : 'no'} |`);
  const shares = Object.entries(summary.loader.share)
    .map(([name, fraction]) => `${name} ${(fraction * 100).toFixed(0)} %`)
    .join(', ');
  lines.push('', `Load generator ceiling (wrk against a trivial responder): ${summary.loader.ceiling_rps.toFixed(0)} req/s; share of it: ${shares}.`);
  for (const warning of summary.loader.warnings) lines.push(`WARNING: ${warning}`);
  process.stdout.write(
    `${summary.machine.cpu}, ${summary.machine.cores} cores, Node ${summary.machine.node}; ${summary.settings.connections} connections, ${summary.settings.duration_s} s per scenario in ${summary.settings.rounds} interleaved slices\n\n${lines.join('\n')}\n`,
  );
}

if (process.argv.includes('--table')) {
  // Prints the table of the latest full run again (for docs/performance.md) without measuring anything.
  printTable(JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')));
  process.exit(0);
}

try {
  await main();
} finally {
  stopChildren();
  // Give the service its graceful shutdown, so that a CPU profile is written.
  await new Promise((resolve) => setTimeout(resolve, process.env.BENCH_CPU_PROF ? 1500 : 0));
}
