/**
 * Attacks on token validation, each against every route that accepts an access token (forward-auth,
 * introspection, the account API), which all go through the one verification function.
 * Names cite where the attack is described.
 */
import { createServer } from 'node:http';
import { createPublicKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { retireKey, rotateKey } from '../../src/keys/rotation.js';
import { activationDelay, RETIRED_KEY_LEEWAY } from '../../src/keys/schedule.js';
import { buildTestApp, form } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { freePort } from '../helpers/redis-server.js';
import { registerAndLogin } from '../helpers/oauth.js';

const ctx = await (async () => {
  const built = await buildTestApp(t, { clients: SERVICE_CLIENTS });
  const login = await registerAndLogin(built.app, 'victim');
  return { ...built, login };
})();
const { app, config, keyring, login } = ctx;
const ourKey = () => keyring.signingKey()!;
const attackerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const claims = () => ({ client_id: 'web', scope: 'profile orders:read admin', sid: 'forged-sid' });
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const [validHeader, validPayload, validSignature] = login.access_token!.split('.') as [string, string, string];
const decoded = (segment: string) => JSON.parse(new TextDecoder().decode(base64url.decode(segment))) as Record<string, unknown>;

function sign(
  header: Record<string, unknown>,
  key: KeyObject | Uint8Array = ourKey().privateKey,
  body: Record<string, unknown> = claims(),
  build?: (jwt: SignJWT) => SignJWT,
) {
  let jwt = new SignJWT(body)
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: ourKey().kid, ...header } as never)
    .setIssuer(config.issuer)
    .setSubject('victim-id')
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(`j-${Math.random()}`);
  if (build) jwt = build(jwt);
  return jwt.sign(key);
}

/** Signs any header and payload with our key, with nothing checked: for headers jose refuses to produce. */
function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(ourKey().privateKey).toString('base64url')}`;
}

/** Every token-accepting route refuses the token, in its own way. */
async function refusedEverywhere(t: Test, token: string, name: string, target: FastifyInstance = app) {
  const app = target;
  const forward = await app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${token}` } });
  // 400 invalid_request is RFC 6750 §3.1's answer when the Authorization header itself is malformed.
  t.ok(
    forward.statusCode === 401 || (forward.statusCode === 400 && forward.json().error === 'invalid_request'),
    `${name}: forward-auth refuses (${forward.statusCode})`,
  );
  t.equal(forward.headers['x-auth-subject'], undefined);
  const introspection = await app.inject({
    method: 'POST',
    url: '/oauth/introspect',
    ...form({ token }),
    headers: { ...form({}).headers, authorization: basicAuth('gateway', SECRETS.gateway) },
  });
  const inactive = introspection.statusCode === 200 && JSON.stringify(introspection.json()) === '{"active":false}';
  const tooLong = introspection.statusCode === 400 && introspection.json().error === 'invalid_request';
  t.ok(inactive || tooLong, `${name}: introspection inactive (or 400 for an oversized token)`);
  const account = await app.inject({ url: '/account/me', headers: { authorization: `Bearer ${token}` } });
  t.ok(account.statusCode === 401 || account.statusCode === 400, `${name}: account API refuses (${account.statusCode})`);
}

t.test('control: the genuine token is accepted everywhere', async (t) => {
  t.equal((await app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${login.access_token}` } })).statusCode, 200);
  t.equal((await app.inject({ url: '/account/me', headers: { authorization: `Bearer ${login.access_token}` } })).statusCode, 200);
});

t.test('alg "none" in any letter case, unsigned (RFC 8725 §2.1, CVE-2015-9235)', async (t) => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    await refusedEverywhere(t, `${encode({ ...decoded(validHeader), alg })}.${validPayload}.`, `alg ${alg}`);
  }
});

t.test('an empty signature on an RS256 header (RFC 7515 §5.2)', async (t) => {
  await refusedEverywhere(t, `${validHeader}.${validPayload}.`, 'empty signature');
});

t.test('HS256 keyed with the RSA public key, as PEM and as JWK (RFC 8725 §2.1 key confusion, CVE-2016-10555)', async (t) => {
  const publicKey = createPublicKey(ourKey().privateKey);
  const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const jwk = JSON.stringify(publicKey.export({ format: 'jwk' }));
  await refusedEverywhere(t, await sign({ alg: 'HS256' }, new TextEncoder().encode(pem)), 'HS256 with PEM');
  await refusedEverywhere(t, await sign({ alg: 'HS256' }, new TextEncoder().encode(jwk)), 'HS256 with JWK');
});

t.test('other algorithms, even with the right key: RS384, PS256, ES256 (RFC 8725 §3.1 algorithm allow-list)', async (t) => {
  await refusedEverywhere(t, await sign({ alg: 'RS384' }), 'RS384');
  await refusedEverywhere(t, await sign({ alg: 'PS256' }), 'PS256');
  await refusedEverywhere(t, await sign({ alg: 'ES256' }, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), 'ES256');
});

t.test('alg confusion between the RSA and the P-256 key of an RS256 → ES256 migration (RFC 8725 §2.1, §3.1)', async (t) => {
  const mixed = await buildTestApp(t, { clients: SERVICE_CLIENTS });
  const rsa = mixed.keyring.signingKey()!;
  const now = () => Math.floor(mixed.clock() / 1000);
  await rotateKey({ ...mixed.config, signingAlg: 'ES256', dir: mixed.keysDir, now: now() });
  mixed.clock.advance(activationDelay(mixed.config));
  await mixed.keyring.refresh();
  const ec = mixed.keyring.signingKey()!;
  t.equal(ec.alg, 'ES256', 'the EC key signs, the RSA key is still published');
  const genuine = (await registerAndLogin(mixed.app, 'mixed-victim')).access_token!;
  t.equal((await mixed.app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${genuine}` } })).statusCode, 200, 'control: ES256');

  const token = (header: Record<string, unknown>, key: KeyObject | Uint8Array) =>
    new SignJWT(claims())
      .setProtectedHeader({ typ: 'at+jwt', ...header } as never)
      .setIssuer(mixed.config.issuer)
      .setSubject('victim-id')
      .setAudience('api')
      .setIssuedAt(now())
      .setExpirationTime(now() + 300)
      .setJti(`j-${Math.random()}`)
      .sign(key);
  const control = await token({ alg: 'RS256', kid: rsa.kid }, rsa.privateKey);
  t.equal((await mixed.app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${control}` } })).statusCode, 200, 'control: RS256');

  const attackerEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const ecJwk = JSON.stringify(createPublicKey(ec.privateKey).export({ format: 'jwk' }));
  const ecPem = createPublicKey(ec.privateKey).export({ format: 'pem', type: 'spki' }) as string;
  const cases: Array<[string, string]> = [
    ['our RSA key signing RS256 under the EC kid', await token({ alg: 'RS256', kid: ec.kid }, rsa.privateKey)],
    ['our EC key signing ES256 under the RSA kid', await token({ alg: 'ES256', kid: rsa.kid }, ec.privateKey)],
    ['an attacker EC key signing ES256 under the RSA kid', await token({ alg: 'ES256', kid: rsa.kid }, attackerEc)],
    ['an attacker EC key signing ES256 under the EC kid', await token({ alg: 'ES256', kid: ec.kid }, attackerEc)],
    ['HS256 keyed with the EC public key as JWK', await token({ alg: 'HS256', kid: ec.kid }, new TextEncoder().encode(ecJwk))],
    ['HS256 keyed with the EC public key as PEM', await token({ alg: 'HS256', kid: ec.kid }, new TextEncoder().encode(ecPem))],
  ];
  // Our own EC key, the right kid, but a DER signature: ES256 is the 64-byte R || S (RFC 7518 §3.4).
  const input = `${encode({ alg: 'ES256', typ: 'at+jwt', kid: ec.kid })}.${encode({ ...claims(), iss: mixed.config.issuer, sub: 'victim-id', aud: 'api', iat: now(), exp: now() + 300, jti: 'der' })}`;
  cases.push(['a DER-encoded ECDSA signature', `${input}.${createSign('SHA256').update(input).sign(ec.privateKey).toString('base64url')}`]);
  cases.push([
    'ES384 under the EC kid',
    `${input.replace(/^[^.]+/, encode({ alg: 'ES384', typ: 'at+jwt', kid: ec.kid }))}.${createSign('SHA256').update(input).sign({ key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`,
  ]);
  for (const [name, forged] of cases) await refusedEverywhere(t, forged, name, mixed.app);
});

t.test('jku, x5u, jwk and x5c headers are ignored: no outbound request, no embedded key trusted (RFC 8725 §3.10, CVE-2018-0114)', async (t) => {
  let requests = 0;
  const trap = createServer((_request, response) => {
    requests += 1;
    response.end('{}');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => trap.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => trap.close(() => resolve())));
  const attackerJwk = createPublicKey(attackerKey).export({ format: 'jwk' });
  const url = `http://127.0.0.1:${port}/keys`;
  await refusedEverywhere(t, await sign({ jku: url, kid: 'attacker' }, attackerKey), 'jku');
  await refusedEverywhere(t, await sign({ x5u: url, kid: 'attacker' }, attackerKey), 'x5u');
  await refusedEverywhere(t, await sign({ jwk: attackerJwk }, attackerKey), 'embedded jwk with our kid');
  await refusedEverywhere(t, await sign({ x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'], kid: 'attacker' }, attackerKey), 'x5c');
  t.equal(requests, 0, 'the service never fetched a key from a URL in a token');
});

t.test('hostile kid values: path traversal, SQL, 10 KB, non-strings (RFC 7515 §4.1.4)', async (t) => {
  for (const kid of ['../../../../etc/passwd', "' OR '1'='1' --", 'k'.repeat(10 * 1024), 123, null, { $ne: '' }, ['a']]) {
    await refusedEverywhere(t, await sign({ kid } as Record<string, unknown>), `kid ${JSON.stringify(kid).slice(0, 30)}`);
  }
});

t.test('crit headers the service does not understand (RFC 7515 §4.1.11)', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const payload = { ...claims(), iss: config.issuer, sub: 'victim-id', aud: 'api', iat: now, exp: now + 300, jti: 'crit-jti' };
  await refusedEverywhere(t, signRaw({ alg: 'RS256', typ: 'at+jwt', kid: ourKey().kid, crit: ['x-policy'], 'x-policy': 'allow' }, payload), 'crit x-policy');
  t.equal(
    (await app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${signRaw({ alg: 'RS256', typ: 'at+jwt', kid: ourKey().kid }, payload)}` } }))
      .statusCode,
    200,
    'control: the same token without crit is accepted',
  );
});

t.test('typ other than at+jwt (RFC 9068 §4, RFC 8725 §3.11)', async (t) => {
  await refusedEverywhere(t, await sign({ typ: 'JWT' }), 'typ JWT');
  await refusedEverywhere(t, await sign({ typ: undefined }), 'no typ');
  await refusedEverywhere(t, await sign({ typ: 'dpop+jwt' }), 'typ dpop+jwt');
});

t.test('a refresh token, an id-like string or garbage as the bearer (RFC 6750 §2.1)', async (t) => {
  const forward = await app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${login.refresh_token}` } });
  t.equal(forward.statusCode, 401, 'refresh token: forward-auth 401');
  t.equal(
    (await app.inject({ url: '/account/me', headers: { authorization: `Bearer ${login.refresh_token}` } })).statusCode,
    401,
    'refresh token: account API 401',
  );
  const introspection = await app.inject({
    method: 'POST',
    url: '/oauth/introspect',
    ...form({ token: login.refresh_token! }),
    headers: { ...form({}).headers, authorization: basicAuth('gateway', SECRETS.gateway) },
  });
  t.equal(introspection.json().token_type, 'refresh_token', 'introspection tells it for what it is, never a Bearer access token');
  await refusedEverywhere(t, 'opaque-looking-string', 'random string');
});

t.test('missing or wrong registered claims: iss, exp, sub, client_id, jti, aud (RFC 9068 §2.2, RFC 7519 §4.1)', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const full: Record<string, unknown> = { ...claims(), iss: config.issuer, sub: 'victim-id', aud: 'api', iat: now, exp: now + 300, jti: 'claims-jti' };
  const without = async (claim: string) => {
    const { [claim]: _removed, ...rest } = full;
    return signRaw({ alg: 'RS256', typ: 'at+jwt', kid: ourKey().kid }, rest);
  };
  t.equal(
    (await app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${signRaw({ alg: 'RS256', typ: 'at+jwt', kid: ourKey().kid }, full)}` } }))
      .statusCode,
    200,
    'control: with every claim it is accepted',
  );
  for (const claim of ['iss', 'exp', 'sub', 'jti', 'aud']) await refusedEverywhere(t, await without(claim), `no ${claim}`);
  const { client_id: _dropped, ...noClient } = claims();
  await refusedEverywhere(t, await sign({}, undefined, noClient), 'no client_id');
  await refusedEverywhere(t, await sign({}, undefined, { ...claims(), client_id: 42 }), 'client_id not a string');
  await refusedEverywhere(t, await sign({}, undefined, claims(), (jwt) => jwt.setIssuer('https://evil.example')), 'wrong iss');
  await refusedEverywhere(t, await sign({}, undefined, claims(), (jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60)), 'expired');
  const wrongAudience = await app.inject({ url: '/forward-auth?aud=billing-api', headers: { authorization: `Bearer ${login.access_token}` } });
  t.equal(wrongAudience.statusCode, 401, 'wrong aud for a route that requires one: invalid there (RFC 9068 §4, RFC 6750 §3.1)');
  t.equal(wrongAudience.json().error, 'invalid_token');
});

t.test('nbf in the future (RFC 7519 §4.1.5)', async (t) => {
  await refusedEverywhere(t, await sign({}, undefined, claims(), (jwt) => jwt.setNotBefore(Math.floor(Date.now() / 1000) + 600)), 'nbf +10 min');
});

t.test('malformed structure: 2, 4 or 5 segments, padding, non-base64url characters, duplicate JSON keys (RFC 7515 §7.1, RFC 8725 §3.8)', async (t) => {
  await refusedEverywhere(t, `${validHeader}.${validPayload}`, '2 segments');
  await refusedEverywhere(t, `${validHeader}.${validPayload}.${validSignature}.x`, '4 segments');
  await refusedEverywhere(t, `${validHeader}.${validPayload}.${validSignature}.x.y`, '5 segments');
  await refusedEverywhere(t, `${validHeader}=.${validPayload}.${validSignature}`, 'padding');
  await refusedEverywhere(t, `${validHeader}.${validPayload}.${validSignature.slice(0, 10)}+/${validSignature.slice(12)}`, 'non-base64url characters');
  const payload = new TextDecoder().decode(base64url.decode(validPayload));
  const duplicated = payload.replace(/^\{/, '{"sub":"admin",');
  const signingInput = `${validHeader}.${base64url.encode(duplicated)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(ourKey().privateKey).toString('base64url');
  await refusedEverywhere(t, `${signingInput}.${signature}`, 'duplicate sub in the payload (validly signed)');
  const header = new TextDecoder().decode(base64url.decode(validHeader)).replace(/^\{/, '{"alg":"none",');
  const headerInput = `${base64url.encode(header)}.${validPayload}`;
  await refusedEverywhere(
    t,
    `${headerInput}.${createSign('RSA-SHA256').update(headerInput).sign(ourKey().privateKey).toString('base64url')}`,
    'duplicate alg in the header',
  );
});

t.test('tokens signed with a retired key, once its tokens have expired, are refused (RFC 7517 §5 key lifecycle)', async (t) => {
  const own = await buildTestApp(t, { clients: SERVICE_CLIENTS });
  const old = await registerAndLogin(own.app, 'retiree');
  const now = () => Math.floor(own.clock() / 1000);
  await rotateKey({ ...own.config, dir: own.keysDir, now: now() });
  own.clock.advance(activationDelay(own.config));
  await retireKey(
    { ...own.config, dir: own.keysDir, now: now() },
    own.keyring.statuses().find((s) => s.state === 'active')?.kid ?? own.keyring.signingKey()!.kid,
  );
  await own.keyring.refresh();
  own.clock.advance(own.config.accessTokenTtl + RETIRED_KEY_LEEWAY);
  await own.keyring.refresh();
  const forward = await own.app.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${old.access_token}` } });
  t.equal(forward.statusCode, 401);
});
