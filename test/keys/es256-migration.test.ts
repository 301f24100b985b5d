/**
 * SIGNING_ALG=ES256: new keys are P-256 keys, and the key lifecycle (publish before sign, retire, reload) holds
 * across the change of algorithm. While both keys are published the JWKS carries both and discovery lists both;
 * every verifier (the service's own, forward-auth, the verifier package) accepts a token of each only with the key
 * made for its algorithm (RFC 8725 §3.1).
 */
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import t from 'tap';
import { createVerifier } from '@tokensmith/verifier';
import { retireKey, rotateKey } from '../../src/keys/rotation.js';
import { activationDelay, RETIRED_KEY_LEEWAY } from '../../src/keys/schedule.js';
import { buildTestApp, tempDir } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { introspectedActive, registerAndLogin, serviceToken } from '../helpers/oauth.js';

const jwksOf = async (app: Awaited<ReturnType<typeof buildTestApp>>['app']) =>
  (await app.inject({ url: '/.well-known/jwks.json' })).json() as { keys: Array<Record<string, string>> };
const algorithmsOf = async (app: Awaited<ReturnType<typeof buildTestApp>>['app']) =>
  ((await app.inject({ url: '/.well-known/openid-configuration' })).json() as { id_token_signing_alg_values_supported: string[] }).id_token_signing_alg_values_supported;
const forwardAuth = async (app: Awaited<ReturnType<typeof buildTestApp>>['app'], token: string) =>
  (await app.inject({ url: '/forward-auth?aud=api', headers: { authorization: `Bearer ${token}` } })).statusCode;

t.test('SIGNING_ALG=ES256 from the start: a generated P-256 key, ES256 tokens, a JWKS of the EC key alone', async (t) => {
  const keysDir = await tempDir(t);
  const { app, keyring } = await buildTestApp(t, { config: { signingAlg: 'ES256' }, shared: { prefix: 'es256-', keysDir } });
  t.equal(keyring.signingKey()?.alg, 'ES256');
  const { keys } = await jwksOf(app);
  t.equal(keys.length, 1);
  const [jwk] = keys as [Record<string, string>];
  t.same(Object.keys(jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'], 'public members only (no d)');
  t.match(jwk, { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  t.equal(jwk.kid, await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! }), 'kid: the RFC 7638 thumbprint of crv, kty, x, y');
  t.same(await algorithmsOf(app), ['ES256']);

  const login = await registerAndLogin(app, 'ec-user');
  t.match(decodeProtectedHeader(login.access_token!), { alg: 'ES256', typ: 'at+jwt', kid: jwk.kid });
  const { payload } = await jwtVerify(login.access_token!, createLocalJWKSet({ keys: keys as never }), { algorithms: ['ES256'], typ: 'at+jwt' });
  t.equal(payload.client_id, 'web', 'an independent JWKS verification accepts it');
  t.equal(await forwardAuth(app, login.access_token!), 200, 'forward-auth accepts it');
});

t.test('RS256 to ES256 and back out: publish before sign, both published meanwhile, then the RSA key retires', async (t) => {
  const { app, base, keyring, config, clock, keysDir } = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const now = () => Math.floor(clock() / 1000);
  const verifier = createVerifier({ issuer: base, audience: 'api', jwks: { cooldownDuration: 0 } });
  t.teardown(() => verifier.close());
  const { kid: rsaKid, privateKey: rsaPrivateKey } = keyring.signingKey()!;
  const rsaToken = (await registerAndLogin(app, 'migrant')).access_token!;
  t.same(await algorithmsOf(app), ['RS256'], 'RS256 alone before');

  const ec = await rotateKey({ ...config, signingAlg: 'ES256', dir: keysDir, now: now() });
  t.equal(ec.alg, 'ES256');
  await keyring.refresh();
  t.equal(keyring.signingKey()?.kid, rsaKid, 'the RSA key signs until the EC key is known everywhere');
  t.same(
    (await jwksOf(app)).keys.map((key) => [key.kid, key.alg]).sort(),
    [
      [rsaKid, 'RS256'],
      [ec.kid, 'ES256'],
    ].sort(),
    'the JWKS carries both',
  );
  t.same(await algorithmsOf(app), ['RS256', 'ES256'], 'discovery lists both');

  clock.advance(activationDelay(config));
  await keyring.refresh();
  t.equal(keyring.signingKey()?.kid, ec.kid, 'the EC key signs once its activation comes');
  const ecToken = await serviceToken(app);
  t.match(decodeProtectedHeader(ecToken), { alg: 'ES256', kid: ec.kid });
  const userEcToken = (await registerAndLogin(app, 'migrant-2')).access_token!;
  for (const [name, token] of [
    ['an RS256 token of the old key', rsaToken],
    ['an ES256 token of the new key', userEcToken],
  ] as const) {
    t.equal(await forwardAuth(app, token), 200, `forward-auth: ${name}`);
    await t.resolves(verifier.verify(token), `the verifier package: ${name}`);
    t.equal(await introspectedActive(app, token), true, `introspection: ${name}`);
  }
  t.equal((await app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${ecToken}` } })).statusCode, 200, 'a service token too');

  await retireKey({ ...config, dir: keysDir, now: now() }, rsaKid);
  await keyring.refresh();
  t.equal(await forwardAuth(app, rsaToken), 200, 'a retired key verifies its tokens until they expire');
  clock.advance(config.accessTokenTtl + RETIRED_KEY_LEEWAY);
  await keyring.refresh();
  t.same(
    (await jwksOf(app)).keys.map((key) => key.kid),
    [ec.kid],
    'the RSA key leaves the JWKS',
  );
  t.same(await algorithmsOf(app), ['ES256'], 'and discovery lists ES256 alone');
  const freshRsaToken = await new SignJWT({ client_id: 'web', scope: 'profile' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: rsaKid })
    .setIssuer(base)
    .setSubject('someone')
    .setAudience('api')
    .setIssuedAt(now())
    .setExpirationTime(now() + 300)
    .setJti('fresh')
    .sign(rsaPrivateKey);
  t.equal(await forwardAuth(app, freshRsaToken), 401, 'an unexpired RS256 token of the gone key is refused: RS256 is no longer accepted at all');
});
