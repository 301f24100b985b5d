import t from 'tap';
import { createLogger } from '../../src/logger.js';
import { connectStore } from '../../src/store/redis/connection.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedisCluster } from '../helpers/redis-topologies.js';
import { storeContract } from '../store/contract.js';

// The storage contract against a real Redis Cluster of 3 masters and 3 replicas: every script's keys share a slot
// (else Redis answers CROSSSLOT), and what spans slots is written in the order sessions.ts gives.
const cluster = await startRedisCluster();
t.teardown(() => cluster.close());

t.test('the Redis store passes the storage contract on a Redis Cluster', async (t) => {
  storeContract(t, async () => new RedisStore(await connectStore(cluster.topology, createLogger('silent')), cluster.prefix(), createLogger('silent')));
});
