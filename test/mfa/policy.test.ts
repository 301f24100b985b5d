import { decodeJwt } from 'jose';
import t from 'tap';
import { buildTestApp, form, realClock } from '../helpers/app.js';
import { tokenRequest } from '../helpers/oauth.js';
import { SoftAuthenticator } from '../helpers/passkey-authenticator.js';
import { addPasskey, csrfOf, postForm, postJson, registered } from '../helpers/passkeys.js';
import { ACCOUNT_SPA, authorizeUrl, CookieJar, pkce, REDIRECT, signIn, submitAccountForm, visit } from '../helpers/sign-in.js';

// MFA=required and MFA=off, end to end through the pages: what a person without a second factor meets, and what
// the service stops doing when second factors are off.

const ISSUER = 'http://localhost:3000';
const MFA_CLIENT = { ...ACCOUNT_SPA, client_id: 'bank', require_mfa: true, grant_types: ['authorization_code'] };

function passwordGrant(app: Awaited<ReturnType<typeof buildTestApp>>['app'], username: string) {
  return app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'password', client_id: 'spa', username, password: 'long enough' }) });
}

t.test('MFA=required: a person without a second factor sets one up during sign-in, then steps up; no password grant', async (t) => {
  const { app } = await buildTestApp(t, { clients: [ACCOUNT_SPA], clock: realClock(), config: { issuer: ISSUER, mfaPolicy: 'required' } });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'kai', password: 'long enough' } });
  const grant = await passwordGrant(app, 'kai');
  t.equal(grant.statusCode, 400);
  t.match(grant.json(), { error: 'invalid_grant', error_description: /requires two-step sign-in/ }, 'the password grant cannot carry the setup');

  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' });
  const silent = await visit(app, new CookieJar(), `${request}&prompt=none`);
  t.match(String(silent.headers.location), /error=login_required/);

  const browser = new CookieJar();
  const toLogin = await visit(app, browser, request);
  const signedIn = await signIn(app, browser, String(toLogin.headers.location), 'kai');
  t.match(String(signedIn.headers.location), /^\/oauth\/authorize\?/);
  const silentAfter = await visit(app, browser, `${request}&prompt=none`);
  t.match(String(silentAfter.headers.location), /error=interaction_required/, 'prompt=none cannot set a factor up');
  const toAccount = await visit(app, browser, request);
  t.equal(toAccount.statusCode, 302);
  t.equal(toAccount.headers.location, '/account', 'no code before a second factor: to the account page');
  const account = await visit(app, browser, '/account');
  t.match(account.body, /This service requires two-step sign-in/);
  t.notMatch(account.body, /Continue to the application/, 'nothing to continue with yet');

  const authenticator = new SoftAuthenticator(ISSUER);
  const { added } = await addPasskey(app, browser, authenticator, 'Laptop');
  t.equal(added!.statusCode, 200, 'a passkey added (its recovery codes shown)');
  const after = await visit(app, browser, '/account');
  t.notMatch(after.body, /This service requires two-step sign-in/);
  const link = /<a href="([^"]+)">Continue to the application<\/a>/.exec(after.body)?.[1]?.replaceAll('&amp;', '&');
  t.equal(link, request, 'the way back to the request');

  const stepUp = await visit(app, browser, link!);
  t.equal(stepUp.headers.location, '/login/second-step', 'the sign-in proved a password: only the new factor is asked for');
  const step = await visit(app, browser, '/login/second-step');
  const csrf = csrfOf(step.body);
  const options = (await postJson(app, browser, '/login/second-step/passkey/options', { csrf })).json();
  const done = await postForm(app, browser, '/login/second-step/passkey', { csrf, credential: JSON.stringify(authenticator.get(options)) });
  const code = new URL(String((await visit(app, browser, String(done.headers.location))).headers.location)).searchParams.get('code')!;
  const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  t.same([decodeJwt(tokens.body.access_token!).acr, decodeJwt(tokens.body.access_token!).amr], ['mfa', ['pwd', 'hwk', 'mfa']]);
});

t.test('MFA=off: nothing to add, nothing asked for, no passkeys; factors added before stay unused', async (t) => {
  const { app, store } = await buildTestApp(t, { clients: [ACCOUNT_SPA, MFA_CLIENT], clock: realClock(), config: { issuer: ISSUER, mfaPolicy: 'off' } });
  const jar = await registered(app, 'lou');
  const account = await visit(app, jar, '/account');
  t.notMatch(account.body, /Two-step sign-in|Add a passkey|authenticator app/, 'no section on the account page');
  t.notMatch((await visit(app, new CookieJar(), '/login')).body, /data-passkey/, 'no passkey on the login page');
  const setup = await submitAccountForm(app, jar, '/account/two-step/setup', { current_password: 'long enough' });
  t.equal(setup.statusCode, 404, 'no authenticator app can be set up');
  const options = await postJson(app, jar, '/account/passkeys/options', { csrf: csrfOf(account.body), name: 'Laptop', current_password: 'long enough' });
  t.equal(options.statusCode, 404, 'no passkey can be added');

  const user = (await store.users.findByUsernameKey('lou'))!;
  await store.mfa.setTotp(user.id, { secret: 'JBSWY3DPEHPK3PXP', createdAt: 1, lastStep: -1 });
  const browser = new CookieJar();
  const signedIn = await signIn(app, browser, '/login', 'lou');
  t.equal(signedIn.headers.location, '/account', 'an app added before is not asked for');
  t.equal((await passwordGrant(app, 'lou')).statusCode, 200, 'nor does it stop the password grant');

  const { challenge } = pkce();
  const refused = await visit(app, browser, authorizeUrl({ client_id: 'bank', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' }));
  t.match(String(refused.headers.location), /error=access_denied/, 'a client that requires multi-factor cannot be served');
});
