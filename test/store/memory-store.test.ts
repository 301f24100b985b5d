import t from 'tap';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { ExpiringMap } from '../../src/store/memory/expiring-map.js';
import { testClock } from '../helpers/app.js';
import { storeContract } from './contract.js';

t.test('memory store passes the storage contract', async (t) => {
  storeContract(t, async () => new MemoryStore());
});

t.test('expiring map: an entry is invisible from its expiry on, and the sweep frees it', async (t) => {
  const clock = testClock(1_000_000);
  const map = new ExpiringMap<string>(clock);
  map.set('a', 'x', 1000);
  map.set('forever', 'y');
  clock.advance(0.999);
  t.equal(map.get('a'), 'x');
  clock.advance(0.001);
  t.equal(map.get('a'), undefined, 'expired exactly at its TTL, as Redis does');
  map.set('b', 'z', 10);
  clock.advance(1);
  t.equal(map.rawSize, 2, 'b is still held until read or swept');
  map.sweep();
  t.equal(map.rawSize, 1);
  t.equal(map.get('forever'), 'y');
  map.set('c', 'old', 10);
  clock.advance(1);
  t.equal(map.has('c'), false, 'an expired key counts as absent');
});
