import { randomBytes } from 'node:crypto';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { SealError, SecretBox } from '../../src/mfa/secret-box.js';

t.test('sealed for one user, opened only with the key and for that user', async (t) => {
  const key = randomBytes(32);
  const box = new SecretBox(key);
  const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user-1');
  t.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
  t.notMatch(sealed, /JBSWY3DPEHPK3PXP/);
  t.not(box.seal('JBSWY3DPEHPK3PXP', 'user-1'), sealed, 'a new nonce each time');
  t.equal(box.open(sealed, 'user-1'), 'JBSWY3DPEHPK3PXP');
  t.throws(() => box.open(sealed, 'user-2'), SealError, "another account's record does not open it");
  t.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'user-1'), SealError, 'another key does not open it');
  t.throws(() => new SecretBox(undefined).open(sealed, 'user-1'), { message: /MFA_SECRET_KEY is not set/ });
  const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
  t.throws(() => box.open(tampered, 'user-1'), SealError, 'a changed byte does not open');
});

t.test('without a key values are kept as they are, and a key set later still reads them', async (t) => {
  t.equal(new SecretBox(undefined).seal('JBSWY3DPEHPK3PXP', 'u'), 'JBSWY3DPEHPK3PXP');
  t.equal(new SecretBox(randomBytes(32)).open('JBSWY3DPEHPK3PXP', 'u'), 'JBSWY3DPEHPK3PXP');
});

t.test('MFA_SECRET_KEY: 32 bytes as base64, base64url or hex; anything else is refused without echoing it', async (t) => {
  const key = randomBytes(32);
  for (const written of [key.toString('base64'), key.toString('base64url'), key.toString('hex')]) {
    t.same(loadConfig({ MFA_SECRET_KEY: written }).mfaSecretKey, key, written);
  }
  t.equal(loadConfig({}).mfaSecretKey, undefined);
  for (const bad of ['short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64')]) {
    t.throws(() => loadConfig({ MFA_SECRET_KEY: bad }), { name: 'ConfigError', variable: 'MFA_SECRET_KEY' });
    try {
      loadConfig({ MFA_SECRET_KEY: bad });
    } catch (error) {
      t.notMatch((error as Error).message, bad, 'never the value');
    }
  }
});
