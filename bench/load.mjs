// One autocannon run in a process of its own, so the load generator never shares the service's event loop.
// Usage: node bench/load.mjs '<json>' with { url, method, headers, body, connections, duration, warmup, kind, pool }
// `kind: "refresh"` chains a session per connection: each response's refresh token is that connection's next
// request. autocannon resets its per-connection context after each pass over its request list, so that scenario
// runs its own loop of keep-alive fetches, one chain per connection, instead.
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

async function runChains(duration) {
  const until = Date.now() + duration * 1000;
  let ok = 0;
  let failed = 0;
  await Promise.all(options.pool.slice(0, options.connections ?? 32).map(async (first) => {
    let token = first;
    while (Date.now() < until) {
      const response = await fetch(options.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&client_id=web&refresh_token=${token}` });
      const body = await response.json();
      if (response.status === 200) {
        ok += 1;
        token = body.refresh_token;
      } else {
        failed += 1;
      }
    }
  }));
  return { ok, total: ok + failed, non2xx: failed, errors: 0, p99: 0 };
}

const measure = options.kind === 'refresh' ? runChains : run;
if (options.warmup > 0 && options.kind !== 'refresh') await measure(options.warmup);
const result = await measure(options.duration);
process.stdout.write(`${JSON.stringify({ rps: result.ok / options.duration, ...result })}\n`);
