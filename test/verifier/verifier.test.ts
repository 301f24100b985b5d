import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import t from 'tap';
import { createVerifier, VerifierError } from '@tokensmith/verifier';
import { form } from '../helpers/app.js';
import { SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually, listenTestApp } from '../helpers/listen.js';
import { registerAndLogin } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

/** Polls until the verifier refuses the token with the given code; true when it did within the time. */
function refusesWithin(verifier: ReturnType<typeof createVerifier>, token: string, code: string, ms: number): Promise<boolean> {
  return eventually(async () => {
    try {
      await verifier.verify(token);
      return false;
    } catch (error) {
      return error instanceof VerifierError && error.code === code;
    }
  }, ms);
}

t.test('createVerifier: discovers the JWKS and verifies strictly', async (t) => {
  const { app, base, keyring } = await listenTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS });
  const verifier = createVerifier({ issuer: base, audience: 'api' });
  t.teardown(() => verifier.close());
  const login = await registerAndLogin(app, 'ver-a');
  const verified = await verifier.verify(login.access_token!);
  t.match(verified, { clientId: 'web', scope: ['profile', 'orders:read'] });
  t.equal(typeof verified.sid, 'string');
  t.equal(typeof verified.jti, 'string');

  const wrongAudience = createVerifier({ issuer: base, audience: 'billing-api' });
  await t.rejects(wrongAudience.verify(login.access_token!), { name: 'VerifierError', code: 'invalid_token' });
  const wrongIssuer = createVerifier({ issuer: base, audience: 'api', jwksUrl: `${base}/.well-known/jwks.json` });
  await t.resolves(wrongIssuer.verify(login.access_token!), 'an explicit jwksUrl skips discovery');

  const sign = (header: Record<string, unknown>, key = keyring.signingKey()!.privateKey, issuer = base) =>
    new SignJWT({ client_id: 'web', scope: 'profile' })
      .setProtectedHeader({ alg: 'RS256', ...header })
      .setIssuer(issuer)
      .setSubject('s')
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('j')
      .sign(key);
  const kid = keyring.signingKey()!.kid;
  for (const [name, token] of [
    ['typ JWT instead of at+jwt', await sign({ typ: 'JWT', kid })],
    ['another issuer', await sign({ typ: 'at+jwt', kid }, undefined, 'https://evil.example')],
    ['another key under our kid', await sign({ typ: 'at+jwt', kid }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)],
    ['garbage', 'a.b.c'],
  ] as const) {
    await t.rejects(verifier.verify(token), { code: 'invalid_token' }, name);
  }
});

t.test('a flood of unknown kids causes no flood of JWKS fetches', async (t) => {
  const { base, logs, keyring } = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const verifier = createVerifier({ issuer: base, audience: 'api', jwks: { cooldownDuration: 60_000 } });
  const key = keyring.signingKey()!.privateKey;
  const forged = await Promise.all(
    Array.from({ length: 50 }, () =>
      new SignJWT({ client_id: 'web', scope: '' })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: randomBytes(8).toString('hex') })
        .setIssuer(base)
        .setSubject('s')
        .setAudience('api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('j')
        .sign(key),
    ),
  );
  for (const token of forged) await t.rejects(verifier.verify(token), { code: 'invalid_token' });
  const fetches = logs.records().filter((record) => record.path === '/.well-known/jwks.json').length;
  t.ok(fetches <= 1, `50 unknown kids made ${fetches} JWKS fetch(es)`);
});

t.test('the revocation feed: a revoked token is refused within a second, with no call per request', async (t) => {
  const { app, base, logs } = await listenTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS });
  const verifier = createVerifier({ issuer: base, audience: 'api', revocations: { clientId: 'gateway', clientSecret: SECRETS.gateway } });
  t.teardown(() => verifier.close());
  await verifier.ready();
  const login = await registerAndLogin(app, 'ver-b');
  await verifier.verify(login.access_token!);
  const requestsBefore = logs.records().filter((record) => record.msg === 'request').length;
  for (let i = 0; i < 10; i++) await verifier.verify(login.access_token!);
  t.equal(logs.records().filter((record) => record.msg === 'request').length, requestsBefore, 'ten verifications, no request to the service');
  await app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: login.access_token!, client_id: 'web' }) });
  const revokedAt = Date.now();
  t.ok(await refusesWithin(verifier, login.access_token!, 'invalid_token', 1000), 'refused within a second');
  t.comment(`refused after ${Date.now() - revokedAt} ms`);
});

t.test('when the feed is down, the verifier rejects (default) or accepts until expiry, as chosen', async (t) => {
  const { app, base } = await listenTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS });
  const login = await registerAndLogin(app, 'ver-c');
  const strict = createVerifier({ issuer: base, audience: 'api', revocations: { clientId: 'gateway', clientSecret: SECRETS.gateway } });
  const lenient = createVerifier({
    issuer: base,
    audience: 'api',
    revocations: { clientId: 'gateway', clientSecret: SECRETS.gateway, whenUnavailable: 'accept' },
  });
  t.teardown(() => strict.close());
  t.teardown(() => lenient.close());
  await Promise.all([strict.ready(), lenient.ready(), strict.verify(login.access_token!), lenient.verify(login.access_token!)]);
  await app.close();
  t.ok(await refusesWithin(strict, login.access_token!, 'temporarily_unavailable', 3000), 'reject: refuses while the feed is down');
  await t.resolves(lenient.verify(login.access_token!), 'accept: still verifies from the cached keys');
});

t.test('a feed client without the introspect scope never becomes ready', async (t) => {
  const { base } = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const verifier = createVerifier({ issuer: base, audience: 'api', revocations: { clientId: 'orders-svc', clientSecret: SECRETS.orders } });
  t.teardown(() => verifier.close());
  const ready = await Promise.race([verifier.ready().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500))]);
  t.equal(ready, false);
});
