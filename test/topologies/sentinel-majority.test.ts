import t from 'tap';
import { createLogger } from '../../src/logger.js';
import { connectStore } from '../../src/store/redis/connection.js';
import { ASK_INTERVAL_MS } from '../../src/store/redis/sentinel-master.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { startLoneSentinel, startRedisSentinel } from '../helpers/redis-topologies.js';

// The store follows the master a majority of the sentinels name, never one sentinel's word alone: a sentinel cut off
// from the others may still name a master the rest have demoted, and a server that was master still answers ROLE as
// one until the sentinels convert it. Here a decoy sentinel names a master of its own under the same name.
const sentinel = await startRedisSentinel();
t.teardown(() => sentinel.close());
const decoy = await startLoneSentinel();
t.teardown(() => decoy.close());
const [first, second] = sentinel.topology.kind === 'sentinel' ? sentinel.topology.sentinels : [];

t.test('a decoy sentinel is outvoted: writes reach the master the majority names, and stay there', async (t) => {
  const topology = { kind: 'sentinel' as const, name: 'tokensmith', sentinels: [decoy.sentinel, first!, second!] };
  const connection = await connectStore(topology, createLogger('silent'));
  t.teardown(() => connection.close());
  const key = `${sentinel.prefix()}majority`;
  await connection.client.set(key, 'first');
  // Several rounds of asking: the decoy's answer never moves the store.
  await new Promise((resolve) => setTimeout(resolve, ASK_INTERVAL_MS * 6));
  await connection.client.set(key, 'second');
  const master = await sentinel.master();
  t.equal(await sentinel.command(master, ['GET', key]), 'second', 'both writes reached the master the majority names');
  t.equal(await decoy.command(decoy.masterPort, ['GET', key]), null, 'nothing reached the decoy master');
});

t.test('with no majority naming one master, the store does not start, and says why', async (t) => {
  const topology = { kind: 'sentinel' as const, name: 'tokensmith', sentinels: [decoy.sentinel, first!] };
  const refused = await connectStore(topology, createLogger('silent')).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.type(refused, StoreUnavailableError, 'the store is unavailable (503 at /readyz, or a failed start)');
  t.match((refused as Error).message, /no master named tokensmith by a majority of the sentinels/, 'and the message says why');
  t.equal(await decoy.command(decoy.masterPort, ['DBSIZE']), 0, 'nothing was written to the decoy master');
});
