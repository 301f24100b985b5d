import t from 'tap';
import { redisKeys } from '../../src/store/redis/keys.js';
import { checkNothingLost, FailoverLoad, REVOCATION_REACH_MS, revokeAccessToken, startChains, twoInstances } from '../helpers/failover-load.js';
import { eventually } from '../helpers/listen.js';
import { topologyHandle } from '../helpers/redis-server.js';
import { startRedisCluster } from '../helpers/redis-topologies.js';

// Under steady refresh chains and forward-auth checks on two instances, a Redis Cluster fails over (CLUSTER FAILOVER
// on the replica of the master that holds a chain's session, then of the master that holds the revocation log) and
// moves slots (a session's, and the revocation log's with the feed's shard channel). Nothing may be lost or
// misjudged: no chain ends by a false reuse, no revoked token passes, 503 comes only while the topology switches,
// and the service follows the new topology without a restart.
const cluster = await startRedisCluster();
t.teardown(() => cluster.close());
t.setTimeout(180_000);

const SWITCH_SLACK_MS = 3000;

t.test('failovers and slot migrations under load lose nothing and misjudge nothing', async (t) => {
  const redis = topologyHandle(cluster);
  const { a, b, prefix } = await twoInstances(t, redis);
  const chains = await startChains(a, 12, 'chain');
  const early = await startChains(b, 3, 'revoked-early');
  const unavailableAt: number[] = [];
  const load = new FailoverLoad(a, b, chains);
  for (const login of early) {
    await revokeAccessToken(a, login.accessToken, unavailableAt);
    load.revoked.set(login.accessToken, Date.now());
  }
  const keys = redisKeys(prefix, true);
  const windows: Array<{ start: number; end: number }> = [];
  const during = await startChains(b, 4, 'revoked-during');
  const switching = async <T>(what: () => Promise<T>, revokeNow: string[]): Promise<T> => {
    const window = { start: Date.now(), end: Number.POSITIVE_INFINITY };
    windows.push(window);
    const revoking = Promise.all(revokeNow.map(async (token) => load.revoked.set(token, (await revokeAccessToken(a, token, unavailableAt), Date.now()))));
    const result = await what();
    await revoking;
    window.end = Date.now();
    for (const token of revokeNow) {
      const refused = async () => (await b.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${token}` } })).statusCode === 401;
      t.ok(await eventually(refused, REVOCATION_REACH_MS), 'revoked during the switch: refused on the other instance within a second');
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return result;
  };

  await new Promise((resolve) => setTimeout(resolve, 1000));
  const sessionKey = keys.session(chains[0]!.sid);
  const first = await switching(() => cluster.failover(sessionKey), [during[0]!.accessToken]);
  t.not(first.from, first.to, `the master of a chain's session (${first.from}) handed over to its replica (${first.to})`);
  const second = await switching(() => cluster.failover(keys.revocationLog()), [during[1]!.accessToken]);
  t.not(second.from, second.to, `the master of the revocation log (${second.from}) handed over to ${second.to}`);
  const moved = await switching(() => cluster.migrateSlot(keys.session(chains[1]!.sid)), [during[2]!.accessToken]);
  t.not(moved.from, moved.to, `a session's slot moved from ${moved.from} to ${moved.to} during traffic`);
  const feed = await switching(() => cluster.migrateSlot(keys.revocationLog()), [during[3]!.accessToken]);
  t.not(feed.from, feed.to, `the revocation log's slot, with the feed's shard channel, moved from ${feed.from} to ${feed.to}`);

  load.report.unavailableAt.push(...unavailableAt);
  await checkNothingLost(t, load, windows, SWITCH_SLACK_MS, b);
});
