import t from 'tap';
import { RevocationLists } from '@tokensmith/verifier/shared';

t.test('revocation lists: an entry counts until its exp, the longest exp wins, and expired entries are dropped', async (t) => {
  const lists = new RevocationLists();
  t.equal(lists.add({ kind: 'jti', id: 'j1', exp: 100 }), true);
  t.equal(lists.add({ kind: 'sid', id: 's1', exp: 200 }), true);
  t.equal(lists.add({ kind: 'jti', id: 'j1', exp: 50 }), false, 'a shorter entry for the same id changes nothing');
  t.equal(lists.has({ jti: 'j1' }, 99), true);
  t.equal(lists.has({ jti: 'j1' }, 100), false, 'not at or after its exp');
  t.equal(lists.has({ jti: 'other', sid: 's1' }, 150), true, 'a revoked sid revokes its tokens');
  t.equal(lists.has({ jti: 's1' }, 150), false, 'a sid is not a jti');
  t.same(lists.entries(150), [{ kind: 'sid', id: 's1', exp: 200 }]);
  lists.prune(150);
  t.equal(lists.add({ kind: 'jti', id: 'j1', exp: 50 }), true, 'the pruned entry is gone');
});
