/**
 * An authorization code stands for the sign-in that issued it. Someone holding a stolen sign-in cookie mints a code
 * and keeps it; the owner then changes the password (the account page or the API), an operator sets a new one or ends
 * every session, or the owner signs out. Each kills the thief's cookie, and the kept code must die with it: redeeming
 * it is invalid_grant and starts no session.
 */
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { adminCall, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { buildTestApp, type StoreKind } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { authorizeUrl, codeFlowTokens, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, submitAccountForm, visit } from '../helpers/sign-in.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const KINDS: StoreKind[] = ['memory', 'redis'];
const PASSWORD = 'long enough';
const CLIENTS = [...SIGN_IN_CLIENTS, ...SERVICE_CLIENTS, OPS_CLIENT];

/** A code for the first-party `spa` client, minted by the browser and kept unredeemed. */
async function mintCode(app: FastifyInstance, jar: CookieJar) {
  const { verifier, challenge } = pkce();
  const answer = await visit(app, jar, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid profile' }));
  const code = new URL(String(answer.headers.location)).searchParams.get('code');
  if (code === null) throw new Error(`no code: ${String(answer.headers.location)}`);
  return () => tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
}

/** A copy of a browser's cookies: what a thief holds. */
function copyOf(jar: CookieJar): CookieJar {
  const copy = new CookieJar();
  copy.take(jar.header().split('; '));
  return copy;
}

/** What ends the thief's cookie, done by the owner or an operator. */
const ENDINGS: Record<string, (app: FastifyInstance, owner: CookieJar, userId: string) => Promise<number>> = {
  'a password change on the account page': async (app, owner) =>
    (await submitAccountForm(app, owner, '/account/change-password', { current_password: PASSWORD, new_password: 'a new long password' })).statusCode,
  'a password change through the account API': async (app, owner) => {
    const tokens = await codeFlowTokens(app, owner, 'spa', REDIRECT, 'openid profile');
    const answer = await app.inject({
      method: 'POST',
      url: '/account/password',
      headers: { authorization: `Bearer ${tokens.body.access_token}` },
      payload: { current_password: PASSWORD, new_password: 'a new long password' },
    });
    return answer.statusCode;
  },
  'a password set by an operator': async (app, _owner, userId) =>
    (await adminCall(app.admin!, await clientToken(app), 'PUT', `/admin/users/${userId}/password`, { password: 'an operator password' })).statusCode,
  'an operator ending every session': async (app, _owner, userId) =>
    (await adminCall(app.admin!, await clientToken(app), 'DELETE', `/admin/users/${userId}/sessions`)).statusCode,
  'signing out': async (app, owner) => (await submitAccountForm(app, owner, '/logout')).statusCode,
};

for (const kind of KINDS) {
  t.test(`a kept code dies with the sign-in that issued it (${kind} store)`, async (t) => {
    const { app } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS, config: { admin: { port: 0, host: '127.0.0.1' } } });

    t.test('control: with nothing ended, a kept code redeems', async (t) => {
      await register(app, `kept-${kind}`);
      const owner = new CookieJar();
      await signIn(app, owner, '/login', `kept-${kind}`);
      const redeem = await mintCode(app, copyOf(owner));
      t.equal((await redeem()).status, 200);
    });

    for (const [ending, end] of Object.entries(ENDINGS)) {
      t.test(`after ${ending}`, async (t) => {
        const username = `thief-${kind}-${Object.keys(ENDINGS).indexOf(ending)}`;
        const { id: userId } = await register(app, username);
        const owner = new CookieJar();
        t.equal((await signIn(app, owner, '/login', username)).statusCode, 303);
        const thief = copyOf(owner);
        const redeem = await mintCode(app, thief);
        t.ok([200, 204, 303].includes(await end(app, owner, userId)), 'the ending was done');
        t.equal((await visit(app, thief, '/account')).headers.location, '/login', "the thief's cookie is dead");
        const sessionsBefore = (await adminCall(app.admin!, await clientToken(app), 'GET', `/admin/users/${userId}/sessions`)).json().items.length as number;
        const redeemed = await redeem();
        t.equal(redeemed.status, 400, JSON.stringify(redeemed.body));
        t.equal(redeemed.body.error, 'invalid_grant');
        t.equal(redeemed.body.refresh_token, undefined);
        const sessionsAfter = (await adminCall(app.admin!, await clientToken(app), 'GET', `/admin/users/${userId}/sessions`)).json().items.length as number;
        t.equal(sessionsAfter, sessionsBefore, 'no session lives on from the refused code');
      });
    }

    t.test('after a password change on the account page, the owner signs in to apps as before', async (t) => {
      await register(app, `owner-${kind}`);
      const owner = new CookieJar();
      await signIn(app, owner, '/login', `owner-${kind}`);
      const changed = await submitAccountForm(app, owner, '/account/change-password', { current_password: PASSWORD, new_password: 'a new long password' });
      t.equal(changed.statusCode, 200);
      t.match(changed.body, /Your password is changed/);
      t.match(String(changed.headers['set-cookie']), /sign-in=[^;]+;/, 'a new sign-in cookie');
      t.equal((await visit(app, owner, '/account')).statusCode, 200, 'the owner stays signed in');
      t.equal((await codeFlowTokens(app, owner, 'spa', REDIRECT, 'openid')).status, 200, 'a code minted after the change redeems');
    });
  });
}
