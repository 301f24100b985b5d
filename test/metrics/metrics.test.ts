import { decodeJwt } from 'jose';
import t from 'tap';
import { listenMetrics } from '../../src/metrics/metrics-server.js';
import { buildTestApp, form, GENEROUS_LIMITS, keysDirWithKey } from '../helpers/app.js';
import { refresh, registerAndLogin } from '../helpers/oauth.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { runBuilt } from '../helpers/spawn.js';
import { answersOk } from '../helpers/listen.js';

const METRICS = { port: 0, host: '127.0.0.1' };

/** One sample of a scrape: its value, or undefined when the series is not there. */
function sample(scrape: string, series: string): number | undefined {
  const line = scrape.split('\n').find((row) => row.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('the metrics count requests by route pattern, tokens, logins, revocations and limits, with bounded labels', async (t) => {
  const { app, keyring } = await buildTestApp(t, { config: { metrics: METRICS, rateLimits: { ...GENEROUS_LIMITS, registerPerIp: 2 } } });
  const server = await listenMetrics(app.metrics!, '127.0.0.1', 0);
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const tokens = await registerAndLogin(app, 'ada');
  await app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'password', client_id: 'web', username: 'ada', password: 'wrong one' }) });
  const refreshed = await refresh(app, tokens.refresh_token!);
  await app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: refreshed.body.access_token!, client_id: 'web' }) });
  const sid = decodeJwt(tokens.access_token!).sid as string;
  await app.inject({ method: 'DELETE', url: `/account/sessions/${sid}-not-mine`, headers: { authorization: `Bearer ${tokens.access_token}` } });
  await app.inject({ url: '/no/such/route/abc123' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'bob', password: 'long enough' } });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'cyd', password: 'long enough' } });

  const response = await fetch(`${base}/metrics`);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const scrape = await response.text();
  t.equal(sample(scrape, 'http_request_duration_seconds_count{method="POST",route="/oauth/token",status_code="200"}'), 2, 'the login and the refresh');
  t.equal(sample(scrape, 'http_request_duration_seconds_count{method="POST",route="/oauth/token",status_code="400"}'), 1, 'the wrong password');
  t.match(scrape, /^# TYPE http_request_duration_seconds histogram$/m);
  t.equal(
    sample(scrape, 'http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/oauth/token",status_code="200"}') ??
      sample(scrape, 'http_request_duration_seconds_bucket{method="POST",route="/oauth/token",status_code="200",le="+Inf"}'),
    2,
    'the +Inf bucket holds every request',
  );
  const buckets = scrape
    .split('\n')
    .filter((line) => line.startsWith('http_request_duration_seconds_bucket{method="POST",route="/oauth/token",status_code="200"'))
    .map((line) => Number(line.split(' ')[1]));
  t.same(
    [...buckets].sort((a, b) => a - b),
    buckets,
    'cumulative buckets never decrease',
  );
  t.ok(sample(scrape, 'http_request_duration_seconds_sum{method="POST",route="/oauth/token",status_code="200"}')! > 0);
  t.equal(sample(scrape, 'http_request_duration_seconds_count{method="DELETE",route="/account/sessions/:sid",status_code="404"}'), 1, 'the route pattern');
  t.equal(sample(scrape, 'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'), 1);
  t.notOk(scrape.includes(sid) || scrape.includes('abc123'), 'no raw path or session id in a label');
  t.equal(sample(scrape, 'tokensmith_tokens_issued_total{grant="password",client_id="web"}'), 1);
  t.equal(sample(scrape, 'tokensmith_tokens_issued_total{grant="refresh_token",client_id="web"}'), 1);
  t.equal(sample(scrape, 'tokensmith_logins_total{result="success"}'), 1);
  t.equal(sample(scrape, 'tokensmith_logins_total{result="failure"}'), 1);
  t.equal(sample(scrape, 'tokensmith_revocations_total{kind="access_token"}'), 1);
  t.equal(sample(scrape, 'tokensmith_rate_limited_total{bucket="registerIp"}'), 1);
  t.equal(sample(scrape, 'tokensmith_argon2_queue_depth'), 0);
  t.equal(sample(scrape, `tokensmith_signing_key_info{kid="${keyring.signingKey()!.kid}"}`), 1);
  t.ok(sample(scrape, 'tokensmith_revocation_feed_connected') !== undefined);
  t.ok(sample(scrape, 'process_cpu_user_seconds_total') !== undefined, "prom-client's default process metrics");
  t.equal((await fetch(`${base}/other`)).status, 404, 'the metrics listener serves /metrics only');
});

t.test('a request that meets a stopped Redis counts as a store error', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const { app } = await buildTestApp(t, { store: 'redis', redis, config: { metrics: METRICS } });
  await redis.stop();
  t.equal((await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'dan', password: 'long enough' } })).statusCode, 503);
  t.equal(sample(await app.metrics!.registry.metrics(), 'tokensmith_redis_errors_total'), 1);
});

t.test('without METRICS_PORT there are no metrics and no request hook', async (t) => {
  const { app } = await buildTestApp(t);
  t.equal(app.metrics, undefined);
});

t.test('the server serves /metrics on METRICS_PORT, on loopback by default, apart from the service port', async (t) => {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const { dir } = await keysDirWithKey(t, () => Date.now());
  const run = runBuilt('dist/server.js', [], { PORT: String(port), HOST: '127.0.0.1', KEYS_DIR: dir, METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' });
  t.teardown(() => run.child.kill('SIGKILL'));
  t.ok(await answersOk(`http://127.0.0.1:${metricsPort}/metrics`, 20_000, 100), 'metrics answer');
  t.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404, 'not on the service port');
  t.match(run.stdout(), /"msg":"metrics listening"/);
  t.match(run.stdout(), /"host":"127\.0\.0\.1"/);
});
