import { generateKeyPairSync } from 'node:crypto';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import t from 'tap';
import { listKeys, retireKey, rotateKey, KeyAdminError } from '../../src/keys/rotation.js';
import { KeyRing } from '../../src/keys/keyring.js';
import { readManifest } from '../../src/keys/manifest.js';
import { activationDelay, RETIRED_KEY_LEEWAY } from '../../src/keys/schedule.js';
import { createLogger } from '../../src/logger.js';
import { keysDirWithKey, LogCapture, tempDir, testClock } from '../helpers/app.js';
import { eventually } from '../helpers/listen.js';

const times = { jwksMaxAge: 300, keysReloadInterval: 10, accessTokenTtl: 900 };

async function open(dir: string, clock = testClock(), production = false, logs = new LogCapture()) {
  const ring = await KeyRing.open({ ...times, dir, production, logger: createLogger('info', logs), clock });
  return ring;
}

function pkcs8(type: 'rsa' | 'ec' | 'ed25519', size: number | string = 2048): string {
  const { privateKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: Number(size) })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: String(size) })
        : generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

t.test('outside production, an empty KEYS_DIR gets one generated key, mode 0600, and a log line', async (t) => {
  const dir = await tempDir(t);
  const logs = new LogCapture();
  const ring = await open(dir, testClock(), false, logs);
  const pems = (await readdir(dir)).filter((name) => name.endsWith('.pem'));
  t.equal(pems.length, 1);
  t.equal((await stat(join(dir, pems[0]!))).mode & 0o777, 0o600);
  t.ok(ring.signingKey(), 'the generated key signs at once');
  t.ok(logs.records().some((r) => String(r.msg).includes('generated a signing key')));
});

t.test('in production, an empty KEYS_DIR is a start-up error naming KEYS_DIR', async (t) => {
  const dir = await tempDir(t);
  await t.rejects(open(dir, testClock(), true), { name: 'ConfigError', variable: 'KEYS_DIR' });
  t.same((await readdir(dir)).length, 0, 'nothing was generated');
});

t.test('weak RSA keys, EC keys on another curve than P-256, other key types and unreadable keys are start-up errors naming the file', async (t) => {
  for (const [file, content, pattern] of [
    ['weak.pem', pkcs8('rsa', 1024), /weak\.pem: is a 1024-bit RSA key; at least 2048/],
    ['p384.pem', pkcs8('ec', 'P-384'), /p384\.pem: is an EC key on secp384r1; ES256 needs P-256/],
    ['ed.pem', pkcs8('ed25519'), /ed\.pem: is a ed25519 key; RS256 needs an RSA key and ES256 a P-256 EC key/],
    ['junk.pem', 'not a key', /junk\.pem: is not a readable PEM/],
  ] as const) {
    const dir = await tempDir(t);
    await writeFile(join(dir, file), content);
    await t.rejects(open(dir), { name: 'ConfigError', message: pattern }, file);
  }
});

t.test('kid is the RFC 7638 thumbprint; the JWKS holds public members only', async (t) => {
  const { dir, kid } = await keysDirWithKey(t);
  const ring = await open(dir);
  const { keys } = JSON.parse(ring.jwks().body) as { keys: Array<Record<string, string>> };
  t.equal(keys.length, 1);
  const [jwk] = keys;
  t.same(Object.keys(jwk!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'], 'no d, p, q, dp, dq or qi (RFC 7517 §9.3)');
  t.equal(jwk!.kid, kid);
  t.equal(jwk!.kid, await calculateJwkThumbprint({ kty: 'RSA', n: jwk!.n!, e: jwk!.e! }, 'sha256'));
  t.equal(jwk!.alg, 'RS256');
  t.equal(jwk!.use, 'sig');
});

t.test('rotation: a new key is published at once and signs only after one max-age plus one reload interval', async (t) => {
  const clock = testClock();
  const { dir, kid: oldKid } = await keysDirWithKey(t, clock);
  const ring = await open(dir, clock);
  const now = () => Math.floor(clock() / 1000);
  const added = await rotateKey({ ...times, dir, now: now() });
  t.equal(added.activate_at - added.created_at, activationDelay(times));
  t.equal(ring.jwks().body.includes(added.kid), false, 'not seen before the reload');
  await ring.refresh();
  t.ok(ring.jwks().body.includes(added.kid), 'published after the reload');
  t.ok(ring.jwks().body.includes(oldKid), 'the old key stays published');
  t.equal(ring.signingKey()?.kid, oldKid, 'the old key still signs');
  clock.advance(activationDelay(times) - 1);
  t.equal(ring.signingKey()?.kid, oldKid, 'one second early, still the old key');
  clock.advance(1);
  t.equal(ring.signingKey()?.kid, added.kid, 'the new key signs once its activation time comes');
  t.ok(ring.publicKey(oldKid, 'RS256'), 'tokens of the old key still verify');
});

t.test('retirement: stops signing now, stays published until its tokens expire, then leaves the JWKS', async (t) => {
  const clock = testClock();
  const { dir, kid: oldKid } = await keysDirWithKey(t, clock);
  const ring = await open(dir, clock);
  const now = () => Math.floor(clock() / 1000);
  await t.rejects(retireKey({ ...times, dir, now: now() }, oldKid), KeyAdminError, 'the only key cannot be retired');
  const added = await rotateKey({ ...times, dir, now: now() });
  await t.rejects(retireKey({ ...times, dir, now: now() }, oldKid), /no other key is active yet/, 'not before the new key is active');
  clock.advance(activationDelay(times));
  await retireKey({ ...times, dir, now: now() }, oldKid);
  await t.rejects(retireKey({ ...times, dir, now: now() }, oldKid), /already retired/);
  await t.rejects(retireKey({ ...times, dir, now: now() }, 'no-such-kid'), /no key with kid/);
  await ring.refresh();
  t.equal(ring.signingKey()?.kid, added.kid);
  const etagWhileRetired = ring.jwks().etag;
  t.ok(ring.jwks().body.includes(oldKid), 'published while its tokens may be valid');
  clock.advance(times.accessTokenTtl + RETIRED_KEY_LEEWAY - 1);
  await ring.refresh();
  t.ok(ring.publicKey(oldKid, 'RS256'), 'still verifies one second before the end');
  clock.advance(1);
  await ring.refresh();
  t.notOk(ring.jwks().body.includes(oldKid), 'gone from the JWKS once every token it signed has expired');
  t.equal(ring.publicKey(oldKid, 'RS256'), undefined, 'and no longer verifies');
  t.not(ring.jwks().etag, etagWhileRetired, 'the ETag changes with the document');
  const states = await listKeys({ ...times, dir, now: now() });
  t.same(states.map((s) => [s.kid, s.state]).sort(), [[added.kid, 'signing'], [oldKid, 'expired']].sort());
  const manifest = await readManifest(dir);
  t.equal(typeof manifest.keys[oldKid]?.retired_at, 'number');
});

t.test('a key file dropped in by hand is published at once but waits its activation delay', async (t) => {
  const clock = testClock();
  const { dir, kid: oldKid } = await keysDirWithKey(t, clock);
  const ring = await open(dir, clock);
  await writeFile(join(dir, 'manual.pem'), pkcs8('rsa'));
  await ring.refresh();
  const keys = JSON.parse(ring.jwks().body).keys as unknown[];
  t.equal(keys.length, 2);
  t.equal(ring.signingKey()?.kid, oldKid);
});

t.test('a broken folder at runtime keeps the keys in use and logs an error', async (t) => {
  const clock = testClock();
  const logs = new LogCapture();
  const { dir, kid } = await keysDirWithKey(t, clock);
  const ring = await open(dir, clock, false, logs);
  await writeFile(join(dir, 'keys.json'), '{ not json');
  await ring.refresh();
  t.equal(ring.signingKey()?.kid, kid);
  t.ok(logs.records().some((r) => r.level === 50 && String(r.msg).includes('not reloaded')));
});

t.test('watch() picks up a rotation without a restart', async (t) => {
  const clock = testClock();
  const { dir } = await keysDirWithKey(t, clock);
  const ring = await KeyRing.open({ ...times, keysReloadInterval: 1, dir, production: false, logger: createLogger('silent'), clock });
  ring.watch();
  t.teardown(() => ring.close());
  const added = await rotateKey({ ...times, dir, now: Math.floor(clock() / 1000) });
  t.ok(await eventually(() => ring.jwks().body.includes(added.kid), 5000, 100), 'the reload published the new key');
});

t.test('rings opened at once on an empty development folder generate one key between them', async (t) => {
  const dir = await tempDir(t);
  const options = { dir, production: false, logger: createLogger('silent'), jwksMaxAge: 300, keysReloadInterval: 10, accessTokenTtl: 900 };
  const rings = await Promise.all(Array.from({ length: 5 }, () => KeyRing.open(options)));
  t.teardown(() => rings.forEach((ring) => ring.close()));
  const kids = new Set(rings.map((ring) => ring.signingKey()!.kid));
  t.equal(kids.size, 1, 'every ring signs with the same key');
  const files = (await readdir(dir)).filter((name) => name.endsWith('.pem'));
  t.equal(files.length, 1, 'and the folder holds one key');
  t.notOk((await readdir(dir)).includes('.first-key.lock'), 'the lock is gone');
});
