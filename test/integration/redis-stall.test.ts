/**
 * A Redis that stalls (SIGSTOP, as a fork for BGSAVE, a failover or a slow fsync would) for longer than the
 * reuse grace: the requests in flight answer 503, Redis runs their queued commands when it resumes, and the
 * clients' honest retries must go on working. Real redis-server, real time.
 */
import t, { type Test } from 'tap';
import { buildTestApp, form, GENEROUS_LIMITS, realClock, type TestApp } from '../helpers/app.js';
import { eventually } from '../helpers/listen.js';
import { registerAndLogin } from '../helpers/oauth.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function refresh(app: TestApp['app'], refreshToken: string) {
  return app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'refresh_token', client_id: 'web', refresh_token: refreshToken }) });
}

async function stalledApp(t: Test, rateLimits: typeof GENEROUS_LIMITS): Promise<{ app: TestApp['app']; redis: TestRedis }> {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  // The grace (2 s) is shorter than the stall (5 s): a grace counted from the request would be over.
  const { app } = await buildTestApp(t, { store: 'redis', redis, clock: realClock(), config: { refreshReuseGrace: 2, rateLimits } });
  return { app, redis };
}

async function untilReady(app: TestApp['app']): Promise<void> {
  await eventually(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 5000, 50);
}

t.test('one refresh during a stall longer than the grace: the retry with the same token continues the session', async (t) => {
  const { app, redis } = await stalledApp(t, { ...GENEROUS_LIMITS, enabled: false });
  const login = await registerAndLogin(app, 'stalled');
  redis.pause();
  const during = await refresh(app, login.refresh_token!);
  t.equal(during.statusCode, 503, 'the rotation is the first Redis call, and it times out');
  t.equal(during.headers['retry-after'], '5');
  await sleep(4500);
  redis.resume();
  await untilReady(app);
  const retry = await refresh(app, login.refresh_token!);
  t.equal(retry.statusCode, 200, `the honest retry is recognised (${retry.statusCode === 200 ? '' : retry.body})`);
  const next = retry.json();
  const checked = await app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${next.access_token}` } });
  t.equal(checked.statusCode, 200, 'the session was not revoked');
  t.equal((await refresh(app, next.refresh_token)).statusCode, 200, 'and the chain goes on');
});

t.test('refresh chains under load with the request limits on: every chain that saw a 503 continues, none is revoked', async (t) => {
  const { app, redis } = await stalledApp(t, GENEROUS_LIMITS);
  const chains = 16;
  const tokens = await Promise.all(Array.from({ length: chains }, async (_, i) => (await registerAndLogin(app, `chain-${i}`)).refresh_token!));
  const saw503 = new Set<number>();
  const failures: string[] = [];
  const started = Date.now();
  const marks: string[] = [];
  const deadline = Date.now() + 9000;
  const run = async (chain: number) => {
    let token = tokens[chain]!;
    let refreshes = 0;
    const history: string[] = [];
    while (Date.now() < deadline) {
      const sent = Date.now() - started;
      const response = await refresh(app, token);
      history.push(`${response.statusCode}@${sent}-${Date.now() - started}`);
      if (response.statusCode === 200) {
        token = response.json().refresh_token;
        refreshes += 1;
      } else if (response.statusCode === 503) {
        saw503.add(chain);
        await sleep(100);
      } else {
        failures.push(`chain ${chain}: ${response.statusCode} ${response.body} after ${history.slice(-6).join(' ')} (${marks.join(', ')})`);
        return refreshes;
      }
    }
    return refreshes;
  };
  const running = Promise.all(Array.from({ length: chains }, (_, i) => run(i)));
  await sleep(1000);
  redis.pause();
  marks.push(`paused at ${Date.now() - started} ms`);
  await sleep(5000);
  redis.resume();
  marks.push(`resumed at ${Date.now() - started} ms`);
  const counts = await running;
  t.same(failures, [], 'no chain was refused');
  t.ok(saw503.size > 0, `${saw503.size} chains saw a 503`);
  t.ok(
    counts.every((count) => count > 1),
    `every chain refreshed before and after (${counts.join(',')})`,
  );
});
