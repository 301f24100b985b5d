import t from 'tap';
import { stopSharedTopology } from '../helpers/redis-server.js';

/**
 * Runs the refresh, reuse-detection, revocation, revocation-feed, introspection, forward-auth and rate-limit route
 * tests as they are against one topology: every startRedis() in this process hands out the same cluster or sentinel
 * setup (test/helpers/redis-server.ts) with a fresh key prefix.
 */
export async function runRouteTests(topology: 'cluster' | 'sentinel'): Promise<void> {
  process.env.TEST_REDIS_TOPOLOGY = topology;
  t.teardown(stopSharedTopology);
  // Six route files in one process, their fault tests stopping and restarting the whole setup: longer than tap's 30 s.
  t.setTimeout(600_000);
  await import('../routes/token-refresh.test.js');
  await import('../routes/revocation.test.js');
  await import('../routes/revocation-feed.test.js');
  await import('../routes/introspection.test.js');
  await import('../routes/forward-auth.test.js');
  await import('../security/abuse.test.js');
}
