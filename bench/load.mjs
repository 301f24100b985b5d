// The load generator: one long-lived process that takes load commands on stdin, one JSON object a line
// ({ id, url, method, headers, body, connections, duration, overallRate, kind, pool }), and answers each on stdout
// with one JSON line ({ id, ok, total, non2xx, errors, p99, rps, seconds, pool? }); commands may overlap. Started and
// spoken to by lib.mjs's load(). Requests are sent by wrk (Debian's package), one thread, 32 connections: a C event
// loop that needs no warm-up and whose ceiling is several times the fastest scenario's rate (every run measures it
// against bench/trivial.mjs); autocannon, a Node process, reached about the bare route's own rate (docs/performance.md).
// `kind: "refresh"` chains a session per connection: each response's refresh token is that connection's next
// request, which no stock load generator does; this process runs those chains itself, warm across slices: one
// keep-alive socket each, requests written and responses framed by hand (node:http or fetch would cost the shared
// CPU several times more per request).
import { connect } from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A Lua string literal of any text (a long bracket whose level the text does not contain). */
function luaString(text) {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

/** The wrk script of a command: its method, headers and body, a pace, and a JSON line of results when done. */
function wrkScript(options) {
  const lines = [`wrk.method = ${luaString(options.method ?? 'GET')}`];
  if (options.body !== undefined) lines.push(`wrk.body = ${luaString(options.body)}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`);
  // An overall rate is a pause before each request on each connection (wrk paces per connection).
  if (options.overallRate) lines.push(`function delay() return ${Math.round(((options.connections ?? 32) * 1000) / options.overallRate)} end`);
  lines.push(
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format([[{"total":%d,"non2xx":%d,"errors":%d,"duration_us":%d,"p99_us":%d}]] .. "\\n",',
    '    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration, latency:percentile(99)))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * One slice of requests by wrk (one thread: a C event loop whose ceiling, measured against bench/trivial.mjs in every
 * run, is several times the fastest scenario's rate; autocannon's was close to the bare route's, docs/performance.md).
 */
async function run(options) {
  if (!Number.isInteger(options.duration) || options.duration < 1) throw new Error(`wrk measures whole seconds, not ${options.duration}`);
  const dir = await mkdtemp(join(tmpdir(), 'tokensmith-load-'));
  try {
    const script = join(dir, 'load.lua');
    await writeFile(script, wrkScript(options));
    const args = ['-t1', `-c${options.connections ?? 32}`, `-d${options.duration}s`, '--timeout', '10s', '-s', script, options.url];
    const { stdout, stderr } = await execFileAsync(process.env.WRK_PATH ?? 'wrk', args);
    const line = stdout.split('\n').find((text) => text.startsWith('{"total"'));
    if (!line) throw new Error(`wrk printed no results: ${stdout}${stderr}`);
    const result = JSON.parse(line);
    const ok = result.total - result.non2xx;
    return { ok, total: result.total, non2xx: result.non2xx, errors: result.errors, p99: result.p99_us / 1000, seconds: result.duration_us / 1e6 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads framed HTTP/1.1 responses (Content-Length bodies, as the service sends) off one socket. */
function responses(socket, onResponse) {
  let buffer = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk) => {
    buffer += chunk;
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, headerEnd))?.[1] ?? 0);
      if (buffer.length < headerEnd + 4 + length) return;
      const status = Number(buffer.slice(9, 12));
      const body = buffer.slice(headerEnd + 4, headerEnd + 4 + length);
      buffer = buffer.slice(headerEnd + 4 + length);
      onResponse(status, body);
    }
  });
}

/** One session's refresh chain on one keep-alive socket until `until`; counts answered refreshes, returns the chain's newest token. */
function chain(url, firstToken, until) {
  return new Promise((resolve, reject) => {
    const { hostname, port, pathname } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    const counts = { ok: 0, failed: 0 };
    let token = firstToken;
    const send = () => {
      const body = `grant_type=refresh_token&client_id=web&refresh_token=${token}`;
      socket.write(
        `POST ${pathname} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
    };
    responses(socket, (status, body) => {
      if (status === 200) {
        counts.ok += 1;
        token = JSON.parse(body).refresh_token;
      } else {
        counts.failed += 1;
      }
      if (Date.now() < until) send();
      else socket.end(() => resolve({ ...counts, token }));
    });
    socket.on('error', reject);
    socket.on('connect', send);
  });
}

async function runChains(options) {
  const until = Date.now() + options.duration * 1000;
  const counts = await Promise.all(options.pool.slice(0, options.connections ?? 32).map((first) => chain(options.url, first, until)));
  const ok = counts.reduce((sum, c) => sum + c.ok, 0);
  const failed = counts.reduce((sum, c) => sum + c.failed, 0);
  // The newest token of each chain, for the next slice to continue the same sessions.
  return { ok, total: ok + failed, non2xx: failed, errors: 0, p99: 0, pool: counts.map((c) => c.token) };
}

for await (const line of createInterface({ input: process.stdin })) {
  const { id, ...options } = JSON.parse(line);
  (options.kind === 'refresh' ? runChains(options) : run(options)).then(
    (result) => process.stdout.write(`${JSON.stringify({ id, rps: result.ok / options.duration, ...result })}\n`),
    (error) => process.stdout.write(`${JSON.stringify({ id, error: String(error) })}\n`),
  );
}
