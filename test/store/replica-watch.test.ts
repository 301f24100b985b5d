import t from 'tap';
import { onlineReplicas, ReplicaWatch, SHRINK_AFTER_MS } from '../../src/store/redis/replica-watch.js';

/** INFO replication of a master with replicas in these states. */
function info(...states: string[]): string {
  const lines = states.map((state, i) => `slave${i}:ip=127.0.0.1,port=${7000 + i},state=${state},offset=100,lag=0`);
  return ['# Replication', 'role:master', `connected_slaves:${states.length}`, ...lines, 'master_repl_offset:100', ''].join('\r\n');
}

t.test('onlineReplicas counts the replicas in sync, not those still loading or waiting', async (t) => {
  t.equal(onlineReplicas(info('online', 'online')), 2);
  t.equal(onlineReplicas(info('online', 'wait_bgsave', 'send_bulk')), 1);
  t.equal(onlineReplicas(info()), 0);
  t.equal(onlineReplicas('# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n'), 0, "a replica's own INFO");
});

t.test('a write waits for every replica the master keeps; a new master starts from the minimum', async (t) => {
  let epoch = 0;
  let reply = info('online', 'online');
  let now = 0;
  const watch = new ReplicaWatch(
    () => epoch,
    async () => reply,
    () => now,
  );
  t.teardown(() => watch.stop());
  t.equal(watch.required(1), 1, 'nothing known yet: the configured minimum');
  await watch.poll();
  t.equal(watch.required(1), 2, 'two replicas online: both');

  // A forced failover: one replica was promoted; the other still follows this (old) master for a moment.
  reply = info('online');
  now += 1000;
  await watch.poll();
  t.equal(watch.required(1), 2, 'one replica gone: still both, so the old master acknowledges nothing');
  now += SHRINK_AFTER_MS - 1000;
  await watch.poll();
  t.equal(watch.required(1), 2, 'not yet: the wait starts at the first short count');
  now += 1000;
  await watch.poll();
  t.equal(watch.required(1), 1, `a replica gone for ${SHRINK_AFTER_MS} ms is no longer waited for`);

  epoch = 1;
  reply = info('online', 'online');
  t.equal(watch.required(1), 1, 'the client follows another master: nothing known of it');
  await watch.poll();
  t.equal(watch.required(1), 2);
  t.equal(watch.required(3), 3, 'never fewer than the minimum');
});

t.test('a count that straddles a failover, or fails, changes nothing', async (t) => {
  let epoch = 0;
  let reply: () => Promise<string> = async () => info('online', 'online', 'online');
  const watch = new ReplicaWatch(
    () => epoch,
    () => reply(),
    () => 0,
  );
  t.teardown(() => watch.stop());
  reply = async () => {
    epoch = 1;
    return info('online', 'online', 'online');
  };
  await watch.poll();
  t.equal(watch.required(1), 1, "the old master's count is not the new one's");
  reply = async () => {
    throw new Error('connection lost');
  };
  await watch.poll();
  t.equal(watch.required(1), 1);
});
