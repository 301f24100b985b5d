// What the benchmark scripts share: processes, ports, load slices, the service under test and its fixtures.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** The node flags of `npm start` (package.json), which the Dockerfile also runs with: the service is measured as it runs. */
export const SERVICE_NODE_FLAGS = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  .scripts.start.split(' ')
  .slice(1, -1);
const children = [];

/** A TCP port that was free on loopback a moment ago. */
export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a child process whose output is kept (child.output()) and which stopChildren() ends. */
export function start(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  children.push(child);
  child.output = () => output;
  return child;
}

/** Sends SIGTERM to every child started here. */
export function stopChildren() {
  for (const child of children) child.kill('SIGTERM');
}

/** Resolves once check() is truthy; rejects after ms. */
export async function waitFor(check, what, ms = 20_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not start`);
}

let loader;

/** The long-lived load generator (bench/load.mjs), started at the first load and ended by stopChildren(). */
function loadGenerator() {
  if (loader) return loader;
  const child = spawn(process.execPath, [join(root, 'bench', 'load.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const pending = new Map();
  let nextId = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const { id, error, ...result } = JSON.parse(line);
    const { resolve, reject, url } = pending.get(id);
    pending.delete(id);
    if (error) reject(new Error(`load ${url}: ${error}`));
    else resolve(result);
  });
  child.on('exit', (code, signal) => {
    for (const { reject, url } of pending.values()) reject(new Error(`load ${url}: the load generator exited (${code ?? signal})`));
    loader = undefined;
  });
  loader = (options) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, url: options.url });
      child.stdin.write(`${JSON.stringify({ id, ...options })}\n`);
    });
  return loader;
}

/** One load slice from the long-lived load generator: { ok, total, non2xx, errors, p99, rps, pool? }. */
export function load(options) {
  return loadGenerator()({ connections: 32, ...options });
}

export const form = (params) => new URLSearchParams(params).toString();
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
export const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** POSTs a form and answers { status, body }. */
export async function post(url, params, headers = {}) {
  const response = await fetch(url, { method: 'POST', headers: { ...FORM, ...headers }, body: form(params) });
  return { status: response.status, body: await response.json() };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** CPU time used so far by every thread of a process, in milliseconds (/proc, 10 ms ticks). */
export function cpuMs(pid) {
  let ticks = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

/** A memory figure of a process from /proc/PID/status, in bytes: VmRSS (now) or VmHWM (peak). */
export function memoryBytes(pid, field) {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

/** The user whose logins, refresh chains and access token the scenarios use. */
export const BENCH_USER = { username: 'bench-user', password: 'correct horse battery' };

/**
 * Starts a private redis-server and the built service from `dist` on loopback, with the bench clients
 * (web, bench-svc, gateway), and registers the bench user; `env` adds to or overrides its configuration.
 * Answers { base, pid, service, secrets, login }.
 */
export async function startTokensmith({ dist, work, nodeArgs = [], env = {} }) {
  const secrets = { 'bench-svc': randomBytes(32).toString('base64url'), gateway: randomBytes(32).toString('base64url') };
  const sha = (secret) => `sha256:${createHash('sha256').update(secret).digest('hex')}`;
  writeFileSync(
    join(work, 'clients.json'),
    JSON.stringify([
      { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile orders:read' },
      {
        client_id: 'bench-svc',
        type: 'confidential',
        client_secret_hash: sha(secrets['bench-svc']),
        grant_types: ['client_credentials'],
        scope: 'orders:read',
        audience: ['orders-api'],
      },
      { client_id: 'gateway', type: 'confidential', client_secret_hash: sha(secrets.gateway), grant_types: ['client_credentials'], scope: 'introspect' },
    ]),
  );
  const [redisPort, port] = [await freePort(), await freePort()];
  start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const service = start(process.execPath, [...SERVICE_NODE_FLAGS, ...nodeArgs, join(dist, 'server.js')], {
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    KEYS_DIR: join(work, 'keys'),
    CLIENTS_FILE: join(work, 'clients.json'),
    RATE_LIMIT: 'off',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    ARGON2_QUEUE_TIMEOUT: '30000',
    // Every password check reserves an attempt on the account's throttle before argon2 runs, so at most
    // LOGIN_FREE_FAILURES checks of one account are in flight at once; the 32 connections all log in as one
    // user, so the bench allows the most (100). The throttle still runs on every login, and its cost is measured.
    LOGIN_FREE_FAILURES: '100',
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/readyz`)).ok, `tokensmith (${dist})`);
  await fetch(`${base}/account/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_USER) });
  const login = { grant_type: 'password', client_id: 'web', ...BENCH_USER };
  return { base, pid: service.pid, service, secrets, login };
}

/**
 * The refresh scenario: 40 logins whose refresh tokens each run spends, keeping their successors for the next
 * run. Answers a function that runs one load (load()'s options) and answers its result.
 */
export async function refreshChains({ base, login }) {
  const pool = [];
  for (let i = 0; i < 40; i++) pool.push((await post(`${base}/oauth/token`, login)).body.refresh_token);
  return async (options = {}) => {
    const result = await load({ url: `${base}/oauth/token`, kind: 'refresh', pool, ...options });
    pool.splice(0, result.pool.length, ...result.pool);
    return result;
  };
}

/** The load options of the service's request scenarios (refresh chains are refreshChains'). */
export function serviceLoads({ base, secrets, login }, userToken) {
  return {
    password: { url: `${base}/oauth/token`, method: 'POST', headers: FORM, body: form(login) },
    jwks: { url: `${base}/.well-known/jwks.json` },
    forward_auth: { url: `${base}/forward-auth`, headers: { authorization: `Bearer ${userToken}` } },
    client_credentials: {
      url: `${base}/oauth/token`,
      method: 'POST',
      headers: { ...FORM, authorization: basic('bench-svc', secrets['bench-svc']) },
      body: form({ grant_type: 'client_credentials' }),
    },
    introspection: {
      url: `${base}/oauth/introspect`,
      method: 'POST',
      headers: { ...FORM, authorization: basic('gateway', secrets.gateway) },
      body: form({ token: userToken }),
    },
  };
}
