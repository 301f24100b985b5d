/**
 * One token, one string: a base64url segment whose last character carries fewer than 6 bits has 4 (or 16) spellings
 * that decode to the same bytes. Nothing is forged by them, but a cache or denylist keyed by the token's string would
 * take them for other tokens. Only the canonical spelling is accepted (RFC 7515 §2, RFC 4648 §3.5), by the service
 * (forward-auth, introspection, the account API) and by @tokensmith/verifier.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createVerifier } from '@tokensmith/verifier';
import { isCanonicalBase64url } from '@tokensmith/verifier/shared';
import { introspectedActive, registerAndLogin } from '../helpers/oauth.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every other spelling of a segment that decodes to the same bytes: its last character's unused bits set otherwise. */
function otherSpellings(segment: string): string[] {
  const bytes = Buffer.from(segment, 'base64url');
  return [...ALPHABET]
    .map((last) => segment.slice(0, -1) + last)
    .filter((spelling) => spelling !== segment && Buffer.from(spelling, 'base64url').equals(bytes));
}

t.test('isCanonicalBase64url takes the one spelling Node writes, and none of the others', async (t) => {
  for (let length = 1; length <= 12; length++) {
    const segment = randomBytes(length).toString('base64url');
    t.ok(isCanonicalBase64url(segment), `${length} bytes: the canonical spelling`);
    const others = otherSpellings(segment);
    t.equal(others.length, { 0: 0, 2: 15, 3: 3 }[segment.length % 4], `${length} bytes: ${others.length} other spellings of the same bytes`);
    for (const other of others) t.notOk(isCanonicalBase64url(other), `${length} bytes: ${other.slice(-1)} refused`);
  }
  t.notOk(isCanonicalBase64url('AAAAA'), 'a lone last character encodes no byte');
});

t.test('the service and the verifier refuse every other spelling of a token’s signature', async (t) => {
  const { app, base } = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const token = (await registerAndLogin(app, 'canon')).access_token!;
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const variants = otherSpellings(signature).map((spelling) => `${header}.${payload}.${spelling}`);
  t.equal(variants.length, 15, 'an RS256 signature (256 bytes) has 15 other spellings');
  const verifier = createVerifier({ issuer: base, audience: 'api' });
  t.teardown(() => verifier.close());
  const forwardAuth = async (value: string) => (await fetch(`${base}/forward-auth`, { headers: { authorization: `Bearer ${value}` } })).status;
  const me = async (value: string) => (await app.inject({ method: 'GET', url: '/account/me', headers: { authorization: `Bearer ${value}` } })).statusCode;

  t.equal(await forwardAuth(token), 200, 'the canonical token passes forward-auth');
  t.equal(await forwardAuth(token), 200, 'and again, from the fast lane');
  t.equal(await introspectedActive(app, token), true);
  t.equal(await me(token), 200);
  await t.resolves(verifier.verify(token));
  for (const variant of variants) {
    const last = variant.slice(-1);
    t.equal(await forwardAuth(variant), 401, `forward-auth refuses …${last}`);
    t.equal(await introspectedActive(app, variant), false, `introspection: …${last} inactive`);
    t.equal(await me(variant), 401, `the account API refuses …${last}`);
    await t.rejects(verifier.verify(variant), { name: 'VerifierError', code: 'invalid_token' }, `the verifier refuses …${last}`);
  }
});
