import t from 'tap';
import { createLogger } from '../../src/logger.js';
import { connectStore } from '../../src/store/redis/connection.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedisSentinel } from '../helpers/redis-topologies.js';
import { storeContract } from '../store/contract.js';

// The storage contract against a master and a replica that three sentinels watch; the store finds the master
// through the sentinels (REDIS_SENTINELS).
const sentinel = await startRedisSentinel();
t.teardown(() => sentinel.close());

t.test('the Redis store passes the storage contract through Redis Sentinel', async (t) => {
  storeContract(t, async () => new RedisStore(await connectStore(sentinel.topology, createLogger('silent')), sentinel.prefix(), createLogger('silent')));
});
