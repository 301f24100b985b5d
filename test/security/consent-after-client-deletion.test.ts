/**
 * A consent belongs to the client it was given to. Deleting a client forgets every consent people gave it, and a
 * consent given before a client's creation (an earlier client of the same id) is void, as its tokens and sessions are:
 * a client re-created with the id, perhaps with another redirect URI, asks the person again.
 */
import t from 'tap';
import { adminCall, buildAdminTestApp, clientToken } from '../helpers/admin.js';
import type { StoreKind } from '../helpers/app.js';
import { startRedis } from '../helpers/redis-server.js';
import { authorizeUrl, codeFlowTokens, CookieJar, pkce, register, signIn, visit } from '../helpers/sign-in.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const KINDS: StoreKind[] = ['memory', 'redis'];
const NOTES = { client_id: 'notes', type: 'public', grant_types: ['authorization_code'], scope: 'openid profile', redirect_uris: ['https://notes.example/cb'] };

for (const kind of KINDS) {
  t.test(`deleting a client forgets its consents; a consent older than the client is void (${kind} store)`, async (t) => {
    const { app, admin, store, clock } = await buildAdminTestApp(t, kind, { redis });
    const ops = await clientToken(app);
    t.equal((await adminCall(admin, ops, 'POST', '/admin/clients', NOTES)).statusCode, 201);
    const { id: userId } = await register(app, `notes-${kind}`);
    const jar = new CookieJar();
    await signIn(app, jar, '/login', `notes-${kind}`);
    t.equal((await codeFlowTokens(app, jar, 'notes', 'https://notes.example/cb', 'openid profile')).status, 200, 'the person allowed notes');
    t.match((await visit(app, jar, '/account')).body, /<strong>notes<\/strong>/);

    t.equal((await adminCall(admin, ops, 'DELETE', '/admin/clients/notes')).statusCode, 204);
    t.equal(await store.consents.get(userId, 'notes'), undefined, 'the consent is forgotten in the store');
    t.notMatch((await visit(app, jar, '/account')).body, /<strong>notes<\/strong>/, 'and gone from the account page');

    // A consent that outlived an earlier client of the id (written by a build without the consent index, say).
    const now = Math.floor(clock() / 1000);
    const stale = { ...NOTES, client_id: 'stale', redirect_uris: ['https://stale.example/cb'] };
    await store.consents.grant(userId, { clientId: 'stale', scope: 'openid profile', grantedAt: now - 60 });
    t.equal((await adminCall(admin, ops, 'POST', '/admin/clients', stale)).statusCode, 201);
    const asked = await visit(
      app,
      jar,
      authorizeUrl({ client_id: 'stale', redirect_uri: 'https://stale.example/cb', code_challenge: pkce().challenge, scope: 'openid' }),
    );
    t.equal(asked.statusCode, 200, 'no code without asking');
    t.match(asked.body, /Allow access\?/, 'the consent page');
    t.notMatch((await visit(app, jar, '/account')).body, /<strong>stale<\/strong>/, 'the void consent is not shown as given');

    if (kind === 'memory') {
      // The memory store's id hold follows the test clock; Redis's is a key expiry in real time.
      clock.advance(16);
      const again = { ...NOTES, redirect_uris: ['https://elsewhere.example/cb'] };
      t.equal((await adminCall(admin, await clientToken(app), 'POST', '/admin/clients', again)).statusCode, 201, 're-created after the hold');
      const request = authorizeUrl({ client_id: 'notes', redirect_uri: 'https://elsewhere.example/cb', code_challenge: pkce().challenge, scope: 'openid' });
      t.match((await visit(app, jar, request)).body, /Allow access\?/, 'the re-created client asks again');
    }
  });
}
