import t from 'tap';
import { checkNothingLost, FailoverLoad, REVOCATION_REACH_MS, revokeAccessToken, startChains, twoInstances } from '../helpers/failover-load.js';
import { eventually } from '../helpers/listen.js';
import { topologyHandle } from '../helpers/redis-server.js';
import { startRedisSentinel } from '../helpers/redis-topologies.js';

// Under steady refresh chains and forward-auth checks on two instances, the sentinels fail the master over to its
// replica (SENTINEL FAILOVER), and back. Nothing may be lost or misjudged: no chain ends by a false reuse, no revoked
// token passes, 503 comes only while the master changes, and the service follows it without a restart.
const sentinel = await startRedisSentinel();
t.teardown(() => sentinel.close());
t.setTimeout(180_000);

/** How long after the sentinels name the new master a 503 may still come: the client finds it within a second or two. */
const SWITCH_SLACK_MS = 3000;

t.test('sentinel failovers under load lose nothing and misjudge nothing', async (t) => {
  const { a, b } = await twoInstances(t, topologyHandle(sentinel));
  const chains = await startChains(a, 12, 'chain');
  const early = await startChains(b, 2, 'revoked-early');
  const during = await startChains(b, 2, 'revoked-during');
  const unavailableAt: number[] = [];
  const load = new FailoverLoad(a, b, chains);
  for (const login of early) load.revoked.set(login.accessToken, (await revokeAccessToken(a, login.accessToken, unavailableAt), Date.now()));
  const windows: Array<{ start: number; end: number }> = [];
  for (const [round, login] of during.entries()) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const window = { start: Date.now(), end: Number.POSITIVE_INFINITY };
    windows.push(window);
    const revoking = revokeAccessToken(a, login.accessToken, unavailableAt).then(() => load.revoked.set(login.accessToken, Date.now()));
    const { from, to } = await sentinel.failover();
    await revoking;
    window.end = Date.now();
    t.not(from, to, `failover ${round + 1}: the sentinels made ${to} master instead of ${from}`);
    const refused = async () => (await b.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${login.accessToken}` } })).statusCode === 401;
    t.ok(await eventually(refused, REVOCATION_REACH_MS + SWITCH_SLACK_MS), 'revoked during the failover: refused on the other instance');
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));

  load.report.unavailableAt.push(...unavailableAt);
  await checkNothingLost(t, load, windows, SWITCH_SLACK_MS, b);
});
