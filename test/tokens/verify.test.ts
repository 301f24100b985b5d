import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, base64url, type JWTHeaderParameters, type JWTPayload } from 'jose';
import t from 'tap';
import { KeyRing } from '../../src/keys/keyring.js';
import { createLogger } from '../../src/logger.js';
import { issueAccessToken } from '../../src/tokens/access-token.js';
import { verifyAccessToken } from '../../src/tokens/verify.js';
import { keysDirWithKey, testClock } from '../helpers/app.js';

const issuer = 'https://auth.test';
const grant = { subject: 'user-1', clientId: 'web', audience: 'api', scope: 'profile', sessionId: 'sid-1' };

/** A token with the service's issuer, subject, audience and a 5 minute lifetime, under any header, claims and key. */
function craft(claims: JWTPayload, header: JWTHeaderParameters, key: Parameters<SignJWT['sign']>[0]): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuer(issuer)
    .setSubject('user-1')
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti('x')
    .sign(key);
}

t.test("verifyAccessToken: accepts the service's own tokens and nothing else", async (t) => {
  const clock = testClock();
  const { dir } = await keysDirWithKey(t, clock);
  const keyring = await KeyRing.open({
    dir,
    production: false,
    logger: createLogger('silent'),
    clock,
    jwksMaxAge: 300,
    keysReloadInterval: 10,
    accessTokenTtl: 900,
  });
  const signer = { keyring, issuer, ttl: 900, clock };
  const options = { keyring, issuer, clock };
  const { token, jti } = await issueAccessToken(signer, grant);
  const claims = await verifyAccessToken(token, options);
  t.match(claims, { iss: issuer, sub: 'user-1', aud: 'api', client_id: 'web', scope: 'profile', sid: 'sid-1', jti });
  t.equal((await verifyAccessToken(token, { ...options, audience: 'api' })).sub, 'user-1');
  await t.rejects(verifyAccessToken(token, { ...options, audience: 'other' }), { code: 'invalid_token' }, 'wrong audience');
  await t.rejects(verifyAccessToken(token, { ...options, issuer: 'https://other' }), { code: 'invalid_token' }, 'wrong issuer');

  const [headerPart, payloadPart] = token.split('.') as [string, string, string];
  const header = JSON.parse(new TextDecoder().decode(base64url.decode(headerPart))) as Record<string, unknown>;
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  await t.rejects(verifyAccessToken(`${encode({ ...header, alg: 'none' })}.${payloadPart}.`, options), { code: 'invalid_token' }, 'alg none (RFC 8725 §2.1)');

  const publicPem = createPublicKey(keyring.signingKey()!.privateKey).export({ format: 'pem', type: 'spki' });
  const confused = await craft(
    { client_id: 'web', scope: 'admin' },
    { alg: 'HS256', typ: 'at+jwt', kid: header.kid as string },
    new TextEncoder().encode(publicPem as string),
  );
  await t.rejects(verifyAccessToken(confused, options), { code: 'invalid_token' }, 'HS256 keyed with the public key (RFC 8725 §2.1)');

  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const forged = await craft({ client_id: 'web', scope: 'admin' }, { alg: 'RS256', typ: 'at+jwt', kid: header.kid as string }, foreign);
  await t.rejects(verifyAccessToken(forged, options), { code: 'invalid_token' }, 'signed by another key under our kid');

  const wrongTyp = await craft(
    { client_id: 'web', scope: 'profile' },
    { alg: 'RS256', typ: 'JWT', kid: header.kid as string },
    keyring.signingKey()!.privateKey,
  );
  await t.rejects(verifyAccessToken(wrongTyp, options), { code: 'invalid_token' }, 'typ other than at+jwt (RFC 9068 §4)');

  const noClient = await craft({ scope: 'profile' }, { alg: 'RS256', typ: 'at+jwt', kid: header.kid as string }, keyring.signingKey()!.privateKey);
  await t.rejects(verifyAccessToken(noClient, options), { code: 'invalid_token' }, 'a required claim missing');

  await t.rejects(
    verifyAccessToken(`${encode({ ...header, kid: '../../etc/passwd' })}.${payloadPart}.${token.split('.')[2]}`, options),
    { code: 'invalid_token' },
    'an unknown kid',
  );
  await t.rejects(verifyAccessToken('not.a.jwt', options), { code: 'invalid_token' });

  clock.advance(900 + 6);
  await t.rejects(verifyAccessToken(token, options), { code: 'invalid_token' }, 'expired, past the 5 s leeway');
});
