// The load generator: one long-lived process that takes load commands on stdin, one JSON object a line
// ({ id, url, method, headers, body, connections, duration, overallRate, kind, pool }), and answers each on stdout
// with one JSON line ({ id, ok, total, non2xx, errors, p99, rps, pool? }); commands may overlap. It stays warm across
// slices: a new process per 1 s slice spends the slice's first part in cold code, and then its own speed, not the
// service's, caps every fast scenario (README, Performance). Started and spoken to by lib.mjs's load().
// `kind: "refresh"` chains a session per connection: each response's refresh token is that connection's next
// request. autocannon resets its per-connection context after each pass over its request list, so that scenario
// runs its own chains instead: one keep-alive socket each, requests written and responses framed by hand as
// autocannon does (node:http or fetch would cost the shared CPU several times more per request than autocannon).
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

function run(options) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        method: options.method ?? 'GET',
        headers: options.headers,
        body: options.body,
        connections: options.connections ?? 32,
        overallRate: options.overallRate,
        duration: options.duration,
        timeout: 10,
      },
      (error, result) =>
        error
          ? reject(error)
          : resolve({ ok: result['2xx'], total: result.requests.total, non2xx: result.non2xx, errors: result.errors, p99: result.latency.p99 }),
    );
  });
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
