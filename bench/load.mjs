// One autocannon run in a process of its own, so the load generator never shares the service's event loop.
// Usage: node bench/load.mjs '<json>' with { url, method, headers, body, connections, duration, warmup, kind, pool }
// `kind: "refresh"` chains a session per connection: each response's refresh token is that connection's next
// request. autocannon resets its per-connection context after each pass over its request list, so that scenario
// runs its own loop of keep-alive fetches, one chain per connection, instead.
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2]);

function run(duration) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: options.url, method: options.method ?? 'GET', headers: options.headers, body: options.body, connections: options.connections ?? 32, duration, timeout: 10 },
      (error, result) => (error ? reject(error) : resolve({ ok: result['2xx'], total: result.requests.total, non2xx: result.non2xx, errors: result.errors, p99: result.latency.p99 })),
    );
  });
}

/** One POST over a keep-alive agent (node:http: far lighter on the shared CPU than fetch). */
function post(agent, url, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function runChains(duration) {
  const until = Date.now() + duration * 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections ?? 32 });
  let ok = 0;
  let failed = 0;
  await Promise.all(options.pool.slice(0, options.connections ?? 32).map(async (first) => {
    let token = first;
    while (Date.now() < until) {
      const response = await post(agent, options.url, `grant_type=refresh_token&client_id=web&refresh_token=${token}`);
      if (response.status === 200) {
        ok += 1;
        token = JSON.parse(response.body).refresh_token;
      } else {
        failed += 1;
      }
    }
  }));
  agent.destroy();
  return { ok, total: ok + failed, non2xx: failed, errors: 0, p99: 0 };
}

const measure = options.kind === 'refresh' ? runChains : run;
if (options.warmup > 0 && options.kind !== 'refresh') await measure(options.warmup);
const result = await measure(options.duration);
process.stdout.write(`${JSON.stringify({ rps: result.ok / options.duration, ...result })}\n`);
