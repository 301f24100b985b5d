import t, { type Test } from 'tap';
import {
  checkNothingLost,
  FailoverLoad,
  REVOCATION_REACH_MS,
  revokeAccessToken,
  startChains,
  twoInstances,
  unavailableAfterSwitches,
  type SwitchWindow,
} from '../helpers/failover-load.js';
import { eventually } from '../helpers/listen.js';
import { topologyHandle } from '../helpers/redis-server.js';
import { startRedisSentinel } from '../helpers/redis-topologies.js';

// Under steady refresh chains and forward-auth checks on two instances, the sentinels fail the master over to a
// replica (SENTINEL FAILOVER), and back. Nothing may be lost or misjudged: no chain ends by a false reuse, no revoked
// token passes, 503 comes only while the master changes, and the service follows it without a restart. How long
// writes answer 503 after the switch (the moment the sentinels name the new master) is measured for one replica and
// for two, the topology docs/operations/scaling.md recommends.
t.setTimeout(360_000);

/**
 * How late after a switch a 503 may come with two replicas, the topology docs/operations/scaling.md recommends. Measured over twelve
 * failovers: the last 503 came 0.2 to 0.4 s after the switch (requests that waited on the old master when the client
 * moved, and writes before the other replica follows the new master). With one replica it came 9.7 to 10.2 s after,
 * since the new master's only replica is the old one, which Sentinel converts about 8 s after the switch.
 */
const TWO_REPLICAS_BOUND_MS = 3000;

/** How long after its revocation was answered (during a switch) a token may still pass on the other instance, beyond the usual second. */
const SWITCH_SLACK_MS = 3000;

/** Runs two failovers (there and back) under load on a sentinel setup with `replicas` replicas; answers the 503s' lateness. */
async function failoversUnderLoad(t: Test, replicas: number): Promise<number[]> {
  const sentinel = await startRedisSentinel(replicas);
  t.teardown(() => sentinel.close());
  const { a, b } = await twoInstances(t, topologyHandle(sentinel));
  const chains = await startChains(a, 12, 'chain');
  const early = await startChains(b, 2, 'revoked-early');
  const during = await startChains(b, 2, 'revoked-during');
  const unavailableAt: number[] = [];
  const load = new FailoverLoad(a, b, chains);
  for (const login of early) load.revoked.set(login.accessToken, (await revokeAccessToken(a, login.accessToken, unavailableAt), Date.now()));
  const windows: SwitchWindow[] = [];
  for (const [round, login] of during.entries()) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const window: SwitchWindow = { start: Date.now(), end: Number.POSITIVE_INFINITY, switchedAt: Number.POSITIVE_INFINITY };
    windows.push(window);
    const revoking = revokeAccessToken(a, login.accessToken, unavailableAt).then(() => load.revoked.set(login.accessToken, Date.now()));
    const { from, to, switchedAt } = await sentinel.failover();
    window.switchedAt = switchedAt;
    await revoking;
    window.end = Date.now();
    t.not(from, to, `failover ${round + 1}: the sentinels made ${to} master instead of ${from}`);
    const refused = async () => (await b.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${login.accessToken}` } })).statusCode === 401;
    t.ok(await eventually(refused, REVOCATION_REACH_MS + SWITCH_SLACK_MS), 'revoked during the failover: refused on the other instance');
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));

  load.report.unavailableAt.push(...unavailableAt);
  // 503s may come until the old master is a replica in sync again (window.end); the bound on them is the point below.
  await checkNothingLost(t, load, windows, 1000, b);
  const lateness = unavailableAfterSwitches(load.report, windows, 1000);
  t.comment(`${replicas} replica(s): the last 503 came ${lateness.join(' ms and ')} ms after each switch`);
  for (const window of windows) {
    const offsets = load.report.unavailableAt.filter((at) => at >= window.start && at <= window.end + 1000).map((at) => at - window.switchedAt);
    t.comment(`503s around the switch at ${window.switchedAt} (ms after it): ${offsets.join(' ')}`);
  }
  return lateness;
}

t.test('one replica: failovers lose nothing; writes wait for the old master to resynchronise', async (t) => {
  const lateness = await failoversUnderLoad(t, 1);
  t.equal(lateness.length, 2, 'both switches measured');
  t.ok(Math.min(...lateness) >= 5000, 'the writes waited for the old master, which Sentinel converts about 8 s after the switch');
});

t.test('two replicas (recommended): failovers lose nothing, and writes resume without waiting for the old master', async (t) => {
  const lateness = await failoversUnderLoad(t, 2);
  t.equal(lateness.length, 2, 'both switches measured');
  for (const [round, ms] of lateness.entries()) {
    t.ok(ms <= TWO_REPLICAS_BOUND_MS, `failover ${round + 1}: the last 503 came ${ms} ms after the switch (at most ${TWO_REPLICAS_BOUND_MS} ms)`);
  }
});
