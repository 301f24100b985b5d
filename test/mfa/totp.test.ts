import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { oathtool } from '../helpers/oathtool.js';
import { base32Decode, base32Encode, hotp, matchTotp, newTotpSecret, otpauthUri, totpCode, totpStep } from '../../src/mfa/totp.js';
import { hashRecoveryCode, newRecoveryCodes } from '../../src/mfa/recovery-codes.js';

// The codes are checked against an implementation this project did not write: Debian's oathtool (OATH Toolkit).

t.test('oathtool is installed (.ci/run installs it): the comparison below never passes by default', async (t) => {
  t.match(execFileSync('oathtool', ['--version'], { encoding: 'utf8' }), /oathtool/);
});

t.test("RFC 6238 Appendix B's SHA-1 vectors, cut to six digits", async (t) => {
  const key = Buffer.from('12345678901234567890');
  for (const [seconds, eight] of [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ] as const) {
    t.equal(hotp(key, totpStep(seconds * 1000), 8), eight, `T=${seconds}`);
    t.equal(totpCode(base32Encode(key), totpStep(seconds * 1000)), eight.slice(2), `T=${seconds}, 6 digits`);
  }
});

t.test('the same codes as oathtool for random secrets and moments', async (t) => {
  for (let i = 0; i < 12; i += 1) {
    const secret = newTotpSecret();
    const at = new Date(Date.UTC(2020, 0, 1) + Math.floor(Math.random() * 10 * 365 * 86_400) * 1000);
    t.equal(totpCode(secret, totpStep(at.getTime())), oathtool(secret, { at }), `${secret} at ${at.toISOString()}`);
  }
});

t.test('a code matches within one step either side, never further, and only six digits', async (t) => {
  const secret = newTotpSecret();
  const now = Date.UTC(2026, 11, 7, 12, 0, 10);
  const step = totpStep(now);
  const at = (offset: number) => oathtool(secret, { at: new Date(now + offset * 30_000) });
  t.equal(matchTotp(secret, at(0), now), step);
  t.equal(matchTotp(secret, at(-1), now), step - 1, 'the previous step: a code typed just as it turned');
  t.equal(matchTotp(secret, at(1), now), step + 1, 'the next step: a phone clock a little ahead');
  t.equal(matchTotp(secret, at(-2), now), undefined, 'two steps back');
  t.equal(matchTotp(secret, at(2), now), undefined, 'two steps ahead');
  t.equal(matchTotp(secret, ` ${at(0).slice(0, 3)} ${at(0).slice(3)} `, now), step, 'spaces as apps show them');
  for (const bad of ['', '12345', '1234567', 'abcdef', '１２３４５６']) t.equal(matchTotp(secret, bad, now), undefined, JSON.stringify(bad));
  t.equal(matchTotp('not base32!', at(0), now), undefined);
});

t.test('base32 round trips; the otpauth URI names the issuer, the account and the parameters', async (t) => {
  for (let length = 0; length < 25; length += 1) {
    const bytes = randomBytes(length);
    t.same(base32Decode(base32Encode(bytes)), bytes);
  }
  t.same(base32Decode('jbsw y3dp ehpk 3pxp'), base32Decode('JBSWY3DPEHPK3PXP'));
  const uri = new URL(otpauthUri('Acme Accounts', 'ann@example.com', 'JBSWY3DPEHPK3PXP'));
  t.equal(uri.protocol, 'otpauth:');
  t.equal(uri.host, 'totp');
  t.equal(decodeURIComponent(uri.pathname), '/Acme Accounts:ann@example.com');
  t.same(Object.fromEntries(uri.searchParams), { secret: 'JBSWY3DPEHPK3PXP', issuer: 'Acme Accounts', algorithm: 'SHA1', digits: '6', period: '30' });
});

t.test('recovery codes: ten, distinct, 80 bits each, found by a hash that ignores case, spaces and dashes', async (t) => {
  const { codes, hashes } = newRecoveryCodes();
  t.equal(codes.length, 10);
  t.equal(new Set(codes).size, 10);
  for (const code of codes) t.match(code, /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
  t.equal(hashRecoveryCode(codes[0]!.toUpperCase().replaceAll('-', ' ')), hashes[0]);
  t.notOk(
    hashes.some((hashed) => codes.includes(hashed)),
    'never the code itself',
  );
});
