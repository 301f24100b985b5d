import { decodeProtectedHeader } from 'jose';
import t from 'tap';
import { buildResourceService } from '../../examples/resource-service/app.js';
import { retireKey, rotateKey } from '../../src/keys/rotation.js';
import { activationDelay, RETIRED_KEY_LEEWAY } from '../../src/keys/schedule.js';
import { eventually, listenOn, listenTestApp } from '../helpers/listen.js';
import { registerAndLogin } from '../helpers/oauth.js';

t.test('key rotation end to end, seen by the example resource service through the verifier library', async (t) => {
  const auth = await listenTestApp(t, { config: { accessTokenTtl: 600 } });
  const { config, keyring, clock, keysDir } = auth;
  // A short JWKS cache in the verifier stands for time passing on its side.
  const api = await listenOn(t, await buildResourceService({ issuer: auth.base, audience: 'api', jwks: { cacheMaxAge: 200, cooldownDuration: 0 } }));
  const orders = (token: string) => fetch(`${api}/api/orders`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  const now = () => Math.floor(clock() / 1000);

  const oldToken = (await registerAndLogin(auth.app, 'rotation')).access_token!;
  const oldKid = decodeProtectedHeader(oldToken).kid!;
  t.equal(await orders(oldToken), 200);

  const added = await rotateKey({ ...config, dir: keysDir, now: now() });
  await keyring.refresh();
  const pendingToken = (await registerAndLogin(auth.app, 'rotation')).access_token!;
  t.equal(decodeProtectedHeader(pendingToken).kid, oldKid, 'before the activation delay the old key still signs');

  clock.advance(activationDelay(config));
  const newToken = (await registerAndLogin(auth.app, 'rotation')).access_token!;
  t.equal(decodeProtectedHeader(newToken).kid, added.kid, 'after the delay new tokens carry the new kid');
  t.equal(await orders(newToken), 200, 'and verify (the verifier fetched the new key)');
  t.equal(await orders(oldToken), 200, 'old tokens keep verifying');

  await retireKey({ ...config, dir: keysDir, now: now() }, oldKid);
  await keyring.refresh();
  t.equal(await orders(oldToken), 200, 'a retired key verifies while its tokens may be valid');

  clock.advance(config.accessTokenTtl + RETIRED_KEY_LEEWAY);
  await keyring.refresh();
  t.notOk(keyring.jwks().body.includes(oldKid), 'the retired kid left the JWKS');
  // The verifier learns it when it next reads the JWKS (on its own timer, in real time).
  t.ok(await eventually(async () => (await orders(oldToken)) === 401), 'a retired kid stops verifying');
  t.equal(await orders(newToken), 200, 'the new key keeps working');
});
