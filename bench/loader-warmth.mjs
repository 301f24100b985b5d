// Why the load generator is one long-lived process: the same 1 s slices against the trivial responder and the bare
// Fastify route, each measured by a load generator started for that slice (cold) and by the long-lived one (warm),
// alternating. Usage: node bench/loader-warmth.mjs [--rounds 6] [--seconds 1]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, load, median, root, start, stopChildren, waitFor } from './lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const rounds = option('--rounds', 6);
const seconds = option('--seconds', 1);

/** One slice from a load generator started for it alone, as the benchmark used to measure. */
function coldLoad(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bench', 'load.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout }).once('line', (line) => {
      child.kill();
      resolve(JSON.parse(line));
    });
    child.on('error', reject);
    child.stdin.write(`${JSON.stringify({ id: 0, connections: 32, ...options })}\n`);
  });
}

try {
  const [trivialPort, barePort] = [await freePort(), await freePort()];
  start(process.execPath, [join(root, 'bench', 'trivial.mjs'), String(trivialPort)]);
  start(process.execPath, [join(root, 'bench', 'reference.mjs'), String(barePort)]);
  const targets = { trivial: `http://127.0.0.1:${trivialPort}/`, bare: `http://127.0.0.1:${barePort}/ping` };
  for (const url of Object.values(targets)) await waitFor(async () => (await fetch(url)).ok, url);
  await load({ url: targets.trivial, duration: 1 });
  for (const [name, url] of Object.entries(targets)) {
    const samples = { cold: [], warm: [] };
    for (let round = 0; round < rounds; round++) {
      samples.cold.push((await coldLoad({ url, duration: seconds })).rps);
      samples.warm.push((await load({ url, duration: seconds })).rps);
    }
    const show = (values) => `median ${Math.round(median(values))} req/s (${values.map(Math.round).join(', ')})`;
    process.stdout.write(`${name}: cold ${show(samples.cold)} | warm ${show(samples.warm)}\n`);
  }
} finally {
  stopChildren();
}
