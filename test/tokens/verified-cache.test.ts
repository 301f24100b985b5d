import t from 'tap';
import { rotateKey } from '../../src/keys/rotation.js';
import { issueAccessToken } from '../../src/tokens/access-token.js';
import { VerifiedTokenCache } from '../../src/tokens/verified-cache.js';
import { buildTestApp } from '../helpers/app.js';

t.test('the verified-token cache serves repeats, never past exp or MAX_AGE, and forgets everything when the keys change', async (t) => {
  const { keyring, config, clock, keysDir } = await buildTestApp(t, { config: { accessTokenTtl: 120 } });
  const options = { keyring, issuer: config.issuer, clock };
  const cache = new VerifiedTokenCache(keyring);
  const { token } = await issueAccessToken({ ...options, ttl: 120 }, { subject: 's', clientId: 'web', audience: 'api', scope: 'profile' });
  const first = await cache.verify(token, options);
  t.equal(await cache.verify(token, options), first, 'the same claims object: served from the cache');
  clock.advance(61);
  const again = await cache.verify(token, options);
  t.not(again, first, 'verified again after MAX_AGE');
  t.same(again, first);
  await rotateKey({ ...config, dir: keysDir, now: Math.floor(clock() / 1000) });
  await keyring.refresh();
  t.not(await cache.verify(token, options), again, 'a change of the published keys empties the cache');
  clock.advance(66);
  await t.rejects(cache.verify(token, options), { code: 'invalid_token' }, 'an expired token (past the 5 s leeway) is never served from the cache');
  await t.rejects(cache.verify('not-a-token', options), { code: 'invalid_token' });
});
