import t from 'tap';
import { displayedUserCode, newUserCode, normalizedUserCode, USER_CODE_LENGTH } from '../../src/oidc/user-code.js';

const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

t.test('user codes: eight of twenty consonants, every one drawn', async (t) => {
  const seen = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const code = newUserCode();
    t.equal(code.length, USER_CODE_LENGTH);
    for (const character of code) seen.set(character, (seen.get(character) ?? 0) + 1);
  }
  t.same([...seen.keys()].sort().join(''), ALPHABET, 'only the alphabet, and all of it');
  // 16,000 draws of 20 letters: 800 expected each; a skewed draw (modulo bias, a missing letter) falls far outside.
  for (const [character, count] of seen) t.ok(count > 650 && count < 950, `${character} drawn ${count} times`);
});

t.test('a user code is shown in two groups and read back however it is typed', async (t) => {
  t.equal(displayedUserCode('WDJBMJHT'), 'WDJB-MJHT');
  for (const typed of ['WDJB-MJHT', 'wdjb-mjht', 'wdjbmjht', ' WDJB MJHT ', 'wdjb–mjht', 'WDJB.MJHT']) t.equal(normalizedUserCode(typed), 'WDJBMJHT', typed);
  for (const typed of ['WDJB-MJH', 'WDJB-MJHTX', 'WDJA-MJHT', 'WDJB-MJH1', '', '--------', 'WDJB/MJHT', 'ẄDJB-MJHT'])
    t.equal(normalizedUserCode(typed), undefined, `refused: ${JSON.stringify(typed)}`);
});
