import t from 'tap';
import { assertPasswordPolicy, normalizePassword, normalizeUsername } from '../../src/users/credentials.js';

t.test('usernames: NFKC display form and a case-folded key', async (t) => {
  t.same(normalizeUsername('Alice'), { username: 'Alice', key: 'alice' });
  t.same(normalizeUsername('ＡＬＩＣＥ'), { username: 'ALICE', key: 'alice' }, 'fullwidth letters are their ASCII forms');
  t.equal(normalizeUsername('Straße')?.key, normalizeUsername('STRASSE')?.key, 'ß folds to ss');
  t.equal(normalizeUsername('e\u0301mile')?.username, 'émile', 'combining accent composes');
  t.equal(normalizeUsername('e\u0301mile')?.key, normalizeUsername('ÉMILE')?.key);
  t.ok(normalizeUsername('first.last+tag@example.com'), 'email addresses are usernames');
  t.ok(normalizeUsername('Дмитрий'), 'any script');
});

t.test('malformed usernames', async (t) => {
  for (const bad of ['ab', '', 'with space', 'tab\there', 'nul\u0000', 'semi;colon', '<script>', 'x'.repeat(255), 'zero\u200bwidth']) {
    t.equal(normalizeUsername(bad), undefined, JSON.stringify(bad));
  }
  t.ok(normalizeUsername('x'.repeat(254)), '254 characters is the maximum');
});

t.test('password policy counts characters for the minimum and bytes for the maximum', async (t) => {
  t.doesNotThrow(() => assertPasswordPolicy('12345678'));
  t.throws(() => assertPasswordPolicy('1234567'), { code: 'invalid_request' });
  t.doesNotThrow(() => assertPasswordPolicy('😀😀😀😀😀😀😀😀'), 'eight emoji are eight characters');
  t.doesNotThrow(() => assertPasswordPolicy('x'.repeat(1024)));
  t.throws(() => assertPasswordPolicy('x'.repeat(1025)), { code: 'invalid_request', message: /1024 bytes/ });
  t.throws(() => assertPasswordPolicy('€'.repeat(342)), { code: 'invalid_request' }, '342 × 3 bytes is over 1024');
});

t.test('passwords are NFKC-normalized before hashing', async (t) => {
  t.equal(normalizePassword('e\u0301'), normalizePassword('é'));
});
