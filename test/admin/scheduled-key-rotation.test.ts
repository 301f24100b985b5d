import t from 'tap';
import { KeyAdmin } from '../../src/admin/keys.js';
import { ScheduledKeyRotation } from '../../src/admin/scheduled-key-rotation.js';
import { AuditLog, type AuditEvent } from '../../src/audit/audit-log.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { keysDirWithKey, LogCapture, testClock } from '../helpers/app.js';

const TIMES = { jwksMaxAge: 300, keysReloadInterval: 10, accessTokenTtl: 900 };
const INTERVAL = 3600;

t.test('scheduled rotation: a new key after the interval, signing after the publish delay; the old one retired once; one instance per step', async (t) => {
  const clock = testClock();
  const { dir, kid: first } = await keysDirWithKey(t, clock);
  const store = new MemoryStore(clock);
  t.teardown(() => store.close());
  const events: AuditEvent[] = [];
  const audit = new AuditLog(createLogger('silent', new LogCapture()), 'stdout', (event) => events.push(event));
  const keys = new KeyAdmin({ dir, times: TIMES, signingAlg: 'ES256', audit, clock });
  const instance = () => new ScheduledKeyRotation({ keys, once: store.replays, interval: INTERVAL, logger: { error: () => {} }, clock });
  const [a, b] = [instance(), instance()];
  const states = async () => Object.fromEntries((await keys.states()).map((key) => [key.kid, key.state]));

  // The first key was activated an hour ago (keysDirWithKey): its time is up.
  await Promise.all([a.check(), b.check()]);
  const afterRotation = await keys.states();
  t.equal(afterRotation.length, 2, 'two instances looked at once: one new key');
  const second = afterRotation.find((key) => key.kid !== first)!;
  t.same([second.state, second.alg, second.activate_at - second.created_at], ['pending', 'ES256', TIMES.keysReloadInterval + TIMES.jwksMaxAge]);
  t.equal((await states())[first], 'signing', 'the old key signs until the new one may');
  await a.check();
  t.equal((await keys.states()).length, 2, 'nothing more while one waits');

  clock.advance(TIMES.keysReloadInterval + TIMES.jwksMaxAge);
  t.same(await states(), { [first]: 'active', [second.kid]: 'signing' }, 'published long enough: the new key signs');
  await Promise.all([a.check(), b.check()]);
  t.same(await states(), { [first]: 'retired', [second.kid]: 'signing' }, 'the replaced key retired, once');
  clock.advance(TIMES.accessTokenTtl + 60);
  t.same(await states(), { [first]: 'expired', [second.kid]: 'signing' }, 'unpublished once its last token has expired');

  clock.advance(INTERVAL);
  await b.check();
  t.equal((await keys.states()).filter((key) => key.state === 'pending').length, 1, 'the next interval: the next key');
  const actions = events.flatMap((event) => (event.event === 'admin_action' ? [[event.action, event.via]] : []));
  t.same(actions, [
    ['key_rotated', 'schedule'],
    ['key_retired', 'schedule'],
    ['key_rotated', 'schedule'],
  ]);
});

t.test('KEY_ROTATION_INTERVAL: off by default; at least an hour, and longer than a new key waits', async (t) => {
  t.equal(loadConfig({ NODE_ENV: 'test' }).keyRotationInterval, 0);
  t.equal(loadConfig({ NODE_ENV: 'test', KEY_ROTATION_INTERVAL: '86400' }).keyRotationInterval, 86400);
  t.throws(() => loadConfig({ NODE_ENV: 'test', KEY_ROTATION_INTERVAL: '600' }), /KEY_ROTATION_INTERVAL: must be 0 \(off\) or at least 3600/);
  t.throws(() => loadConfig({ NODE_ENV: 'test', KEY_ROTATION_INTERVAL: '4000', JWKS_MAX_AGE: '86400' }), /more than KEYS_RELOAD_INTERVAL \+ JWKS_MAX_AGE/);
});
