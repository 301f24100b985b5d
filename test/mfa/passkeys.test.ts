import { decodeJwt } from 'jose';
import t from 'tap';
import { adminCall, buildAdminTestApp, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { buildTestApp, form, keysDirWithKey, realClock } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { SoftAuthenticator } from '../helpers/passkey-authenticator.js';
import { startRedis } from '../helpers/redis-server.js';
import { ACCOUNT_SPA, authorizeUrl, CookieJar, pkce, REDIRECT, signIn, visit } from '../helpers/sign-in.js';
import { addPasskey, csrfOf, passkeySignIn, postForm, postJson, registered } from '../helpers/passkeys.js';
import { tokenRequest } from '../helpers/oauth.js';

// Passkeys through the HTTP routes, answered by a software authenticator (a real P-256 key, real authenticator data
// and signatures): sign-in alone and as the second step, what the tokens say, and every refusal. The browser's half
// (the pages' script, a real authenticator) is test/browser/passkey-flow.test.ts.

const ISSUER = 'http://localhost:3000';
const CLIENTS = [ACCOUNT_SPA, ...SERVICE_CLIENTS, OPS_CLIENT];

t.test('a passkey: added from /account, then a sign-in of its own with no username, as two factors in the ID token', async (t) => {
  const { app, logs } = await buildTestApp(t, { clients: CLIENTS, clock: realClock(), config: { issuer: ISSUER } });
  const jar = await registered(app, 'ann');
  const authenticator = new SoftAuthenticator(ISSUER);
  const { options, added } = await addPasskey(app, jar, authenticator);
  const asked = options.json();
  t.equal(asked.rp.id, 'localhost', 'the relying party is the issuer host');
  t.match(asked.authenticatorSelection, { residentKey: 'required', userVerification: 'required' }, 'discoverable, user verified');
  t.equal(asked.attestation, 'none');
  t.notMatch(Buffer.from(asked.user.id, 'base64url').toString(), /ann/, 'the user handle holds no name');
  t.equal(options.headers['cache-control'], 'no-store');
  t.equal(added!.statusCode, 200);
  t.equal([...added!.body.matchAll(/<li><code>/g)].length, 10, 'the first factor comes with ten recovery codes');
  t.ok(
    logs.records().some((line) => line.event === 'second_factor_added' && line.factor === 'passkey'),
    'audited',
  );
  const again = await postJson(app, jar, '/account/passkeys/options', {
    csrf: csrfOf((await visit(app, jar, '/account')).body),
    name: 'Phone',
    current_password: 'long enough',
  });
  t.same(
    again.json().excludeCredentials.map((entry: { id: string }) => entry.id),
    [authenticator.credentialId.toString('base64url')],
    'the next one excludes the passkeys the account has',
  );
  const account = await visit(app, jar, '/account');
  t.match(account.body, /Laptop: added .* last used never/);
  t.match(account.headers['content-security-policy'], /script-src 'self'; connect-src 'self'/, 'the passkey script, from this origin only');

  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' });
  const browser = new CookieJar();
  const toLogin = await visit(app, browser, request);
  const signedIn = await passkeySignIn(app, browser, authenticator, String(toLogin.headers.location));
  t.equal(signedIn.response.statusCode, 303, 'signed in');
  t.match(String(signedIn.response.headers.location), /^\/oauth\/authorize\?/, 'on to the authorization request');
  const code = new URL(String((await visit(app, browser, String(signedIn.response.headers.location))).headers.location)).searchParams.get('code')!;
  const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  const claims = decodeJwt(tokens.body.id_token!);
  t.same([claims.acr, claims.amr], ['mfa', ['hwk', 'mfa']], 'a device-bound passkey, user verified: two factors (RFC 8176 hwk)');
  t.ok(
    logs.records().some((line) => line.event === 'login_succeeded' && line.via === 'passkey'),
    'audited',
  );
  t.match((await visit(app, browser, '/account')).body, /Laptop: added .* last used \d{4}-/, 'the use is shown');

  const synced = new SoftAuthenticator(ISSUER, { backupEligible: true, backedUp: true });
  await addPasskey(app, jar, synced, 'Phone');
  const viaSynced = await passkeySignIn(app, new CookieJar(), synced);
  t.equal(viaSynced.response.statusCode, 303);
  t.match((await visit(app, jar, '/account')).body, /Phone \(synced between your devices\)/);
});

t.test('refused: a foreign form, another browser’s or a spent challenge, no user verification, another origin, a clone', async (t) => {
  const { app, logs } = await buildTestApp(t, { clients: CLIENTS, clock: realClock(), config: { issuer: ISSUER } });
  const jar = await registered(app, 'bob');
  const authenticator = new SoftAuthenticator(ISSUER);
  await addPasskey(app, jar, authenticator);
  const failures = () =>
    logs
      .records()
      .filter((line) => line.event === 'passkey_failed')
      .map((line) => line.reason);
  const refused = (response: { statusCode: number; body: string }, what: string) => {
    t.equal(response.statusCode, 401, what);
    t.match(response.body, /That passkey could not be checked/, `${what}: said on the login page`);
  };

  const foreign = await postJson(app, new CookieJar(), '/login/passkey/options', { csrf: 'forged' });
  t.equal(foreign.statusCode, 403);
  t.match(foreign.json(), { error: 'access_denied', error_description: /did not come from this service/ }, 'the API’s error shape');

  // Browser A asks, browser B answers with A's challenge: the challenge is bound to the browser that asked.
  const a = new CookieJar();
  const b = new CookieJar();
  const aOptions = await postJson(app, a, '/login/passkey/options', { csrf: csrfOf((await visit(app, a, '/login')).body) });
  const bCsrf = csrfOf((await visit(app, b, '/login')).body);
  refused(
    await postForm(app, b, '/login/passkey', { csrf: bCsrf, credential: JSON.stringify(authenticator.get(aOptions.json())) }),
    'another browser’s challenge',
  );

  const onceJar = new CookieJar();
  const once = await passkeySignIn(app, onceJar, authenticator);
  t.equal(once.response.statusCode, 303);
  refused(await postForm(app, onceJar, '/login/passkey', { csrf: once.csrf, credential: once.answer }), 'a spent challenge, replayed');

  refused((await passkeySignIn(app, new CookieJar(), authenticator, '/login', { origin: 'http://evil.localhost:3000' })).response, 'another origin');
  refused((await passkeySignIn(app, new CookieJar(), authenticator, '/login', { userHandle: 'c29tZW9uZSBlbHNl' })).response, 'another user handle');
  authenticator.flags.userVerified = false;
  refused((await passkeySignIn(app, new CookieJar(), authenticator)).response, 'no user verification');
  authenticator.flags.userVerified = true;
  authenticator.flags.backupEligible = true;
  refused((await passkeySignIn(app, new CookieJar(), authenticator)).response, 'a changed backup eligibility');
  authenticator.flags.backupEligible = false;
  authenticator.counter = 1; // the last accepted was 2: a copy made before that sign-in
  refused((await passkeySignIn(app, new CookieJar(), authenticator)).response, 'a counter that went back: a clone?');
  const stranger = new SoftAuthenticator(ISSUER);
  refused((await passkeySignIn(app, new CookieJar(), stranger)).response, 'a passkey nobody has');
  const garbage = new CookieJar();
  const garbageCsrf = csrfOf((await visit(app, garbage, '/login')).body);
  refused(await postForm(app, garbage, '/login/passkey', { csrf: garbageCsrf, credential: '{"not":"webauthn"' }), 'not JSON');
  t.same(
    failures(),
    ['expired', 'expired', 'invalid', 'unknown_passkey', 'invalid', 'backup_eligibility_changed', 'stale_counter', 'unknown_passkey', 'expired'],
    'each refusal audited with its reason',
  );
  t.notMatch(logs.lines.join('\n'), new RegExp(once.answer.slice(40, 80).replace(/[^\w]/g, '.')), 'no answer in the logs');

  const other = await registered(app, 'cyd');
  const taken = await addPasskey(app, other, authenticator);
  t.equal(taken.added!.statusCode, 400, 'a passkey registered to another account already');
  t.match(taken.added!.body, /This passkey is on an account already/);
  const wrong = await addPasskey(app, other, new SoftAuthenticator(ISSUER), 'Laptop', 'not the password');
  t.equal(wrong.options.statusCode, 400, 'adding asks for the current password');
  t.equal(wrong.options.json().error_description, 'The current password is wrong.');
  const nameless = await addPasskey(app, other, new SoftAuthenticator(ISSUER), '  \u0007 ');
  t.equal(nameless.options.statusCode, 400, 'a name is needed');
});

t.test('the second step with a passkey, the password grant refused, and operators see and reset passkeys', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const { app, admin } = await buildAdminTestApp(t, 'redis', { redis, clients: CLIENTS, clock: realClock(), config: { issuer: ISSUER } });
  const jar = await registered(app, 'deb');
  const authenticator = new SoftAuthenticator(ISSUER);
  await addPasskey(app, jar, authenticator, 'Key');
  const intruder = new SoftAuthenticator(ISSUER);
  await addPasskey(app, await registered(app, 'eve'), intruder, 'Eve’s');

  const browser = new CookieJar();
  const password = await signIn(app, browser, '/login', 'deb');
  t.equal(password.headers.location, '/login/second-step', 'an account with a passkey: the password alone is not enough');
  const step = await visit(app, browser, '/login/second-step');
  t.match(step.body, /Confirm it is you with one of the passkeys/, 'the passkey is asked for');
  t.match(step.body, /Use a recovery code/);
  const csrf = csrfOf(step.body);
  const options = (await postJson(app, browser, '/login/second-step/passkey/options', { csrf })).json();
  t.same(
    options.allowCredentials.map((entry: { id: string }) => entry.id),
    [authenticator.credentialId.toString('base64url')],
    'only the account’s own passkeys may answer',
  );
  const eves = await postForm(app, browser, '/login/second-step/passkey', { csrf, credential: JSON.stringify(intruder.get(options)) });
  t.equal(eves.statusCode, 401, 'another account’s passkey is refused');
  const retry = (await postJson(app, browser, '/login/second-step/passkey/options', { csrf })).json();
  const done = await postForm(app, browser, '/login/second-step/passkey', { csrf, credential: JSON.stringify(authenticator.get(retry)) });
  t.equal(done.statusCode, 303);

  const { verifier, challenge } = pkce();
  const authorized = await visit(app, browser, authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' }));
  const code = new URL(String(authorized.headers.location)).searchParams.get('code')!;
  const tokens = await tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  t.same(decodeJwt(tokens.body.id_token!).amr, ['pwd', 'hwk', 'mfa'], 'password and passkey');

  const grant = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'password', client_id: 'spa', username: 'deb', password: 'long enough' }),
  });
  t.equal(grant.statusCode, 400, 'the password grant cannot carry the second step');

  const token = await clientToken(app);
  const factors = (await adminCall(admin, token, 'GET', '/admin/users/deb/factors')).json();
  t.match(factors.passkeys, [{ id: authenticator.credentialId.toString('base64url'), name: 'Key', synced: false }]);
  t.equal(typeof factors.passkeys[0].last_used_at, 'number');
  t.notMatch(JSON.stringify(factors), /publicKey|public_key/, 'never the key');
  const spare = new SoftAuthenticator(ISSUER);
  const deb = new CookieJar();
  await signIn(app, deb, '/login', 'deb');
  const debStep = csrfOf((await visit(app, deb, '/login/second-step')).body);
  const debOptions = (await postJson(app, deb, '/login/second-step/passkey/options', { csrf: debStep })).json();
  await postForm(app, deb, '/login/second-step/passkey', { csrf: debStep, credential: JSON.stringify(authenticator.get(debOptions)) });
  await addPasskey(app, deb, spare, 'Spare');
  const one = `/admin/users/deb/factors/${authenticator.credentialId.toString('base64url')}`;
  t.equal((await adminCall(admin, token, 'DELETE', one)).statusCode, 204, 'an operator removes one passkey');
  t.equal((await adminCall(admin, token, 'DELETE', one)).statusCode, 404, 'once');
  t.equal((await adminCall(admin, token, 'DELETE', '/admin/users/deb/factors/totp')).statusCode, 404, 'no app to remove');
  t.match((await adminCall(admin, token, 'GET', '/admin/users/deb/factors')).json().passkeys, [{ name: 'Spare' }]);
  const removed = await passkeySignIn(app, new CookieJar(), authenticator);
  t.equal(removed.response.statusCode, 401, 'a removed passkey signs in no more');
  t.equal((await adminCall(admin, token, 'DELETE', '/admin/users/deb/factors')).statusCode, 204);
  t.same((await adminCall(admin, token, 'GET', '/admin/users/deb/factors')).json().passkeys, []);
  const gone = await passkeySignIn(app, new CookieJar(), spare);
  t.equal(gone.response.statusCode, 401, 'a reset passkey signs in no more');
});

t.test('two instances on one Redis: a passkey challenge made by one is answered at the other', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const shared = { prefix: redis.prefix(), keysDir: (await keysDirWithKey(t)).dir };
  const one = await buildTestApp(t, { store: 'redis', redis, shared, clients: CLIENTS, clock: realClock(), config: { issuer: ISSUER } });
  const two = await buildTestApp(t, { store: 'redis', redis, shared, clients: CLIENTS, clock: realClock(), config: { issuer: ISSUER } });
  const jar = await registered(one.app, 'gus');
  const authenticator = new SoftAuthenticator(ISSUER);
  const csrf = csrfOf((await visit(one.app, jar, '/account')).body);
  const creation = await postJson(one.app, jar, '/account/passkeys/options', { csrf, name: 'Laptop', current_password: 'long enough' });
  const added = await postForm(two.app, jar, '/account/passkeys/add', { csrf, credential: JSON.stringify(authenticator.create(creation.json())) });
  t.equal(added.statusCode, 200, 'added at the other instance');
  const browser = new CookieJar();
  const loginCsrf = csrfOf((await visit(one.app, browser, '/login')).body);
  const request = await postJson(one.app, browser, '/login/passkey/options', { csrf: loginCsrf });
  const answer = JSON.stringify(authenticator.get(request.json()));
  const signedIn = await postForm(two.app, browser, '/login/passkey', { csrf: loginCsrf, credential: answer });
  t.equal(signedIn.statusCode, 303, 'signed in at the other instance');
  const again = await postForm(one.app, browser, '/login/passkey', { csrf: loginCsrf, credential: answer });
  t.equal(again.statusCode, 401, 'and the challenge is spent for both');
});

t.test('passkeys are off on an issuer that is an IP address: no button, no challenge', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { issuer: 'http://127.0.0.1:3000' } });
  const jar = await registered(app, 'fay');
  const login = await visit(app, new CookieJar(), '/login');
  t.notMatch(login.body, /data-passkey/);
  t.notMatch(login.headers['content-security-policy'], /script-src/, 'and no script at all');
  t.match((await visit(app, jar, '/account')).body, /Passkeys need this service on a domain name/);
  const options = await postJson(app, jar, '/login/passkey/options', { csrf: csrfOf(login.body) });
  t.equal(options.statusCode, 404);
  const script = await app.inject({ method: 'GET', url: '/assets/passkeys.js' });
  t.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
});
