import t from 'tap';
import { decodeJwt } from 'jose';
import { buildTestApp, form, realClock, type Teardown, type TestApp } from '../helpers/app.js';
import { ACCOUNT_SPA, CookieJar, codeFlowTokens, REDIRECT, signIn, submitAccountForm, visit } from '../helpers/sign-in.js';
import { linkIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { eventually } from '../helpers/listen.js';
import { startRedis } from '../helpers/redis-server.js';
import { testCertificates } from '../helpers/tls.js';

// Every mail here crosses a real SMTP conversation: nodemailer in the service, smtp-server + mailparser in the test.

const CLIENTS = [ACCOUNT_SPA];

async function mailApp(t: Teardown, smtp: TestSmtp, config: Partial<TestApp['config']> = {}) {
  // Real time: the outbox retries on it.
  return buildTestApp(t, { clients: CLIENTS, clock: realClock(), config: { mail: smtp.mailConfig(), ...config } });
}

async function registerWithEmail(app: TestApp['app'], username: string, email: string) {
  const response = await app.inject({ method: 'POST', url: '/account/register', payload: { username, password: 'long enough', email } });
  if (response.statusCode !== 201) throw new Error(response.body);
  return response.json() as { id: string; email: string; email_verified: boolean };
}

/** Posts a page's form as a browser would, its hidden fields included. */
async function submit(app: TestApp['app'], jar: CookieJar, page: string, action: string, fields: Record<string, string>) {
  const hidden = Object.fromEntries(
    [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!.replaceAll('&amp;', '&')]),
  );
  const body = form({ ...hidden, ...fields });
  const response = await app.inject({ method: 'POST', url: action, payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
  jar.take(response.headers['set-cookie']);
  return response;
}

/** A password-grant login of the first-party client. */
function passwordLogin(app: TestApp['app'], username: string, password: string) {
  return app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'password', client_id: 'spa', username, password }) });
}

async function forgot(app: TestApp['app'], login: string) {
  const jar = new CookieJar();
  const page = await visit(app, jar, '/forgot-password');
  return submit(app, jar, page.body, '/forgot-password', { login });
}

t.test('registration → verification mail → the link confirms the address → email claims say so', async (t) => {
  const smtp = await startSmtp(t);
  const { app, store } = await mailApp(t, smtp);
  const user = await registerWithEmail(app, 'ann', 'Ann.Lee@Example.com');
  t.same([user.email, user.email_verified], ['Ann.Lee@Example.com', false], 'the address as written, unverified');

  const mail = await smtp.next('ann.lee@example.com');
  t.match(mail.subject, /Confirm your email address/);
  t.match(mail.html, /<a href="http:\/\/127\.0\.0\.1:3000\/verify-email\?token=/, 'an HTML body with the link');
  const link = linkIn(mail, '/verify-email');
  const token = new URL(link, 'http://x').searchParams.get('token')!;
  t.notOk(JSON.stringify(await store.emailLinks.peek(token)), 'the store holds no link under the secret itself');

  const jar = new CookieJar();
  const page = await visit(app, jar, link);
  t.equal(page.statusCode, 200);
  t.match(page.body, /Confirm email address/);
  t.equal((await store.users.findById(user.id))?.email?.verified, false, 'opening the link (a mail scanner too) changes nothing');
  const confirmed = await submit(app, jar, page.body, '/verify-email', {});
  t.equal(confirmed.statusCode, 200);
  t.match(confirmed.body, /Email address confirmed/);
  t.equal((await store.users.findById(user.id))?.email?.verified, true);

  const again = await submit(app, jar, page.body, '/verify-email', {});
  t.equal(again.statusCode, 400, 'a link works once');
  t.match(again.body, /unknown, already used or expired/);

  const browser = new CookieJar();
  await signIn(app, browser, '/login', 'ann');
  const tokens = await codeFlowTokens(app, browser, 'spa', REDIRECT, 'openid email');
  const idToken = decodeJwt(tokens.body.id_token!);
  t.same([idToken.email, idToken.email_verified], ['Ann.Lee@Example.com', true], 'the ID token carries email and email_verified (OIDC Core §5.1)');
  const userinfo = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${tokens.body.access_token}` } });
  t.same(userinfo.json(), { sub: user.id, email: 'Ann.Lee@Example.com', email_verified: true });
  const profileOnly = await codeFlowTokens(app, browser, 'spa', REDIRECT, 'openid profile');
  t.equal(decodeJwt(profileOnly.body.id_token!).email, undefined, 'no email claim without the email scope');
});

t.test('addresses are unique in any letter case; bad ones are refused and change nothing', async (t) => {
  const smtp = await startSmtp(t);
  const { app } = await mailApp(t, smtp);
  await registerWithEmail(app, 'bea', 'bea@example.com');
  const taken = await app.inject({
    method: 'POST',
    url: '/account/register',
    payload: { username: 'bea2', password: 'long enough', email: 'BEA@EXAMPLE.COM' },
  });
  t.equal(taken.statusCode, 409);
  t.same(taken.json(), { error: 'email_taken', error_description: 'that email address belongs to another account' });
  for (const bad of ['no-at-sign', 'a@b', 'two@@example.com', 'space in@example.com', '"quoted"@example.com', `${'x'.repeat(65)}@example.com`]) {
    const response = await app.inject({
      method: 'POST',
      url: '/account/register',
      payload: { username: `u${bad.length}x`, password: 'long enough', email: bad },
    });
    t.equal(response.statusCode, 400, bad);
    t.equal(response.json().error, 'invalid_request');
  }
  const free = await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'u16x', password: 'long enough' } });
  t.equal(free.statusCode, 201, 'the refused registrations created nothing');
});

t.test('REGISTRATION_EMAIL=required and off', async (t) => {
  const smtp = await startSmtp(t);
  const required = await mailApp(t, smtp, { email: { registration: 'required', signInRequiresVerified: false, verificationTtl: 86400, resetTtl: 1800 } });
  const missing = await required.app.inject({ method: 'POST', url: '/account/register', payload: { username: 'cy', password: 'long enough' } });
  t.equal(missing.statusCode, 400);
  t.match(missing.json().error_description, /email is required/);
  const page = await required.app.inject({ method: 'GET', url: '/register' });
  t.match(page.body, /<label for="email">Email<\/label>/);
  t.match(page.body, /name="email"[^>]*required/);
  const off = await mailApp(t, smtp, { email: { registration: 'off', signInRequiresVerified: false, verificationTtl: 86400, resetTtl: 1800 } });
  t.notMatch((await off.app.inject({ method: 'GET', url: '/register' })).body, /name="email"/, 'no field');
  const given = await off.app.inject({
    method: 'POST',
    url: '/account/register',
    payload: { username: 'cy', password: 'long enough', email: 'cy@example.com' },
  });
  t.equal(given.statusCode, 400);
});

t.test('forgot password → mail → new password → sign in; the old one and the link are dead', async (t) => {
  const smtp = await startSmtp(t);
  const { app, store, logs } = await mailApp(t, smtp);
  const user = await registerWithEmail(app, 'dora', 'dora@example.com');
  await smtp.next('dora@example.com');
  const before = await passwordLogin(app, 'dora', 'long enough');
  t.equal(before.statusCode, 200, 'a session to be ended by the reset');

  const login = await visit(app, new CookieJar(), '/login');
  t.match(login.body, /<a href="\/forgot-password">Forgot password\?<\/a>/);
  const asked = await forgot(app, 'DORA@example.com');
  t.equal(asked.statusCode, 200);
  t.match(asked.body, /Check your mail/);
  const mail = await smtp.next('dora@example.com', 1);
  t.match(mail.subject, /Reset your password/);
  const link = linkIn(mail, '/reset-password');

  const jar = new CookieJar();
  const page = await visit(app, jar, link);
  t.equal(page.statusCode, 200);
  t.match(page.body, /<label for="new_password">New password<\/label>/);
  t.match(page.body, /Set password/);
  const weak = await submit(app, jar, page.body, '/reset-password', { new_password: 'short' });
  t.equal(weak.statusCode, 400, 'a password the policy refuses');
  t.match(weak.body, /at least 8 characters/);
  const done = await submit(app, jar, page.body, '/reset-password', { new_password: 'a brand new one' });
  t.equal(done.statusCode, 200, 'the weak try did not spend the link');
  t.match(done.body, /Password set/);
  t.notOk(done.headers['set-cookie'], 'a reset signs nobody in');

  t.equal((await passwordLogin(app, 'dora', 'long enough')).statusCode, 400, 'the old password is dead');
  t.equal((await passwordLogin(app, 'dora', 'a brand new one')).statusCode, 200);
  const refresh = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'refresh_token', client_id: 'spa', refresh_token: before.json().refresh_token }),
  });
  t.equal(refresh.statusCode, 400, 'the session from before the reset ended');
  t.equal((await store.users.findById(user.id))?.email?.verified, true, 'following the link proved the address');

  const reused = await submit(app, jar, page.body, '/reset-password', { new_password: 'yet another one' });
  t.equal(reused.statusCode, 400, 'used twice: refused');
  t.match(reused.body, /unknown, already used or expired/);

  const notice = await smtp.next('dora@example.com', 2);
  t.match(notice.subject, /password .* was changed/);
  t.match(notice.text, /through a reset link/);
  t.notMatch(notice.text, /token=/, 'a notice holds no link secret');

  const audit = logs.records().filter((record) => record.audit === true);
  t.ok(audit.some((record) => record.event === 'password_reset' && record.user_id === user.id));
  t.ok(audit.some((record) => record.event === 'mail_sent' && record.kind === 'reset_password'));
  t.notMatch(logs.lines.join('\n'), new RegExp(new URL(link, 'http://x').searchParams.get('token')!), 'the secret never reaches the log');
});

t.test('the same answer for unknown accounts and accounts without an address; no mail for them', async (t) => {
  const smtp = await startSmtp(t);
  const { app } = await mailApp(t, smtp);
  await registerWithEmail(app, 'eve', 'eve@example.com');
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'noaddress', password: 'long enough' } });
  await smtp.next('eve@example.com');
  const bodies = [];
  for (const login of ['eve', 'nobody-here', 'noaddress', 'nobody@example.com']) {
    const response = await forgot(app, login);
    t.equal(response.statusCode, 200, login);
    bodies.push(response.body.replace(/name="csrf" value="[^"]+"/, ''));
  }
  t.equal(new Set(bodies).size, 1, 'one page for all four');
  await smtp.next('eve@example.com', 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(smtp.mails.length, 2, 'the verification and the one reset mail: nothing for the others');
});

t.test('a reset link is void after a password change by another route, and after it expires', async (t) => {
  const smtp = await startSmtp(t);
  const { app, clock } = await mailApp(t, smtp);
  await registerWithEmail(app, 'finn', 'finn@example.com');
  await forgot(app, 'finn');
  const first = linkIn(await smtp.next('finn@example.com', 1), '/reset-password');
  const token = await passwordLogin(app, 'finn', 'long enough');
  const changed = await app.inject({
    method: 'POST',
    url: '/account/password',
    headers: { authorization: `Bearer ${token.json().access_token}` },
    payload: { current_password: 'long enough', new_password: 'changed by owner' },
  });
  t.equal(changed.statusCode, 204);
  const void1 = await visit(app, new CookieJar(), first);
  t.equal(void1.statusCode, 400);
  t.match(void1.body, /password of this account changed after the link was sent/);
  const notice = await smtp.next('finn@example.com', 2);
  t.match(notice.text, /changed by you/);

  await forgot(app, 'finn');
  const second = linkIn(await smtp.next('finn@example.com', 3), '/reset-password');
  t.equal((await visit(app, new CookieJar(), second)).statusCode, 200);
  clock.advance(1801);
  const expired = await visit(app, new CookieJar(), second);
  t.equal(expired.statusCode, 400, 'past PASSWORD_RESET_TTL');
  t.match(expired.body, /expired/);
});

t.test('the mail server down for a while: the mail waits in the outbox and arrives after it returns', async (t) => {
  const smtp = await startSmtp(t);
  const { app, logs } = await mailApp(t, smtp, { metrics: { port: 0, host: '127.0.0.1' } });
  await smtp.stop();
  await registerWithEmail(app, 'gus', 'gus@example.com');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.equal(smtp.to('gus@example.com').length, 0, 'nothing while it is down');
  t.ok(
    logs.records().some((record) => record.event === 'mail_retried' && record.kind === 'verify_email'),
    'a retry is recorded',
  );
  await smtp.start();
  const mail = await smtp.next('gus@example.com');
  t.match(mail.subject, /Confirm your email address/);
  const sent = logs.records().find((record) => record.event === 'mail_sent');
  t.ok(sent && (sent.attempts as number) >= 2, 'sent on a later try');
  const counted = await app.metrics!.registry.getSingleMetricAsString('tokensmith_mail_messages_total');
  t.match(counted, /tokensmith_mail_messages_total\{outcome="retried"\} [1-9]/, 'the metrics count the retries');
  t.match(counted, /tokensmith_mail_messages_total\{outcome="sent"\} 1/, 'and the one sent');
});

t.test('with MAIL_TRANSPORT=off no page offers what needs mail', async (t) => {
  const { app } = await buildTestApp(t, {});
  t.notMatch((await app.inject({ method: 'GET', url: '/login' })).body, /Forgot password/);
  t.equal((await app.inject({ method: 'GET', url: '/forgot-password' })).statusCode, 404);
});

t.test('two instances sharing one outbox (Redis) send each mail once', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const smtp = await startSmtp(t);
  const first = await buildTestApp(t, { store: 'redis', redis, clients: CLIENTS, clock: realClock(), config: { mail: smtp.mailConfig() } });
  const shared = { prefix: (first.store as { prefix?: string }).prefix!, keysDir: first.keysDir };
  const second = await buildTestApp(t, { store: 'redis', redis, shared, clients: CLIENTS, clock: realClock(), config: { mail: smtp.mailConfig() } });
  const count = 20;
  // The server is down while the mails are queued: they pile up, due again at once on both instances, which compete.
  await smtp.stop();
  await Promise.all(Array.from({ length: count }, (_, n) => registerWithEmail((n % 2 === 0 ? first : second).app, `twin${n}`, `twin${n}@example.com`)));
  await smtp.start();
  t.ok(await eventually(() => smtp.mails.length >= count, 10_000), 'every mail arrives');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.equal(smtp.mails.length, count, 'and none twice, after both instances looked again');
  t.same(
    Array.from({ length: count }, (_, n) => smtp.to(`twin${n}@example.com`).length),
    Array.from({ length: count }, () => 1),
  );
  const senders = [first, second].map(({ logs }) => logs.records().filter((record) => record.event === 'mail_sent').length);
  t.equal(senders[0]! + senders[1]!, count, `one mail_sent per mail across the two (${senders.join(' and ')})`);
});

t.test('changing the address from /account: the new one is confirmed before it replaces the old, which is told', async (t) => {
  const smtp = await startSmtp(t);
  const { app, store } = await mailApp(t, smtp);
  const user = await registerWithEmail(app, 'kim', 'kim@old.example');
  await registerWithEmail(app, 'lee', 'lee@example.com');
  await smtp.next('kim@old.example');
  const jar = new CookieJar();
  await signIn(app, jar, '/login', 'kim');
  const account = await visit(app, jar, '/account');
  t.match(account.body, /<label for="new_email">New email address<\/label>/);

  const wrong = await submitAccountForm(app, jar, '/account/change-email', { new_email: 'kim@new.example', current_password: 'not it' });
  t.equal(wrong.statusCode, 400);
  t.match(wrong.body, /current password is wrong/);
  const taken = await submitAccountForm(app, jar, '/account/change-email', { new_email: 'LEE@example.com', current_password: 'long enough' });
  t.equal(taken.statusCode, 409);
  t.match(taken.body, /belongs to another account/);
  const bad = await submitAccountForm(app, jar, '/account/change-email', { new_email: 'not-an-address', current_password: 'long enough' });
  t.equal(bad.statusCode, 400);
  t.equal(smtp.to('kim@new.example').length, 0, 'nothing sent for refused requests');

  const asked = await submitAccountForm(app, jar, '/account/change-email', { new_email: 'Kim@New.example', current_password: 'long enough' });
  t.equal(asked.statusCode, 200);
  t.match(asked.body, /A link to confirm Kim@New\.example is on its way/);
  t.equal((await store.users.findById(user.id))?.email?.address, 'kim@old.example', 'the old address stays until the link is followed');
  const mail = await smtp.next('kim@new.example');
  t.match(mail.subject, /Confirm your new email address/);
  const page = await visit(app, new CookieJar(), linkIn(mail, '/verify-email'));
  t.match(page.body, /Kim@New\.example/);
  const confirmed = await submit(app, new CookieJar(), page.body, '/verify-email', {});
  t.equal(confirmed.statusCode, 200);
  t.same((await store.users.findById(user.id))?.email, { address: 'Kim@New.example', key: 'kim@new.example', verified: true });
  t.equal(await store.users.findByEmailKey('kim@old.example'), undefined, 'the old address is free');
  const notice = await smtp.next('kim@old.example', 1);
  t.match(notice.subject, /email address of your .* account was changed/);
  t.match(notice.text, /changed to Kim@New\.example by you/);
  t.notMatch(notice.text, /token=/);

  await submitAccountForm(app, jar, '/account/change-email', { new_email: 'kim@third.example', current_password: 'long enough' });
  const third = linkIn(await smtp.next('kim@third.example'), '/verify-email');
  await registerWithEmail(app, 'moe', 'kim@third.example');
  const lost = await submit(app, new CookieJar(), (await visit(app, new CookieJar(), third)).body, '/verify-email', {});
  t.equal(lost.statusCode, 400, 'another account took the address meanwhile');
  t.match(lost.body, /belongs to another account now/);
  t.equal((await store.users.findById(user.id))?.email?.address, 'Kim@New.example', 'nothing changed');
});

t.test('SIGN_IN_REQUIRES_VERIFIED_EMAIL: no password sign-in until the address is confirmed', async (t) => {
  const smtp = await startSmtp(t);
  const email = { registration: 'required' as const, signInRequiresVerified: true, verificationTtl: 86400, resetTtl: 1800 };
  const { app, logs } = await mailApp(t, smtp, { email });
  const jar = new CookieJar();
  const page = await visit(app, jar, '/register');
  const registered = await submit(app, jar, page.body, '/register', { username: 'nia', password: 'long enough', email: 'nia@example.com' });
  t.equal(registered.statusCode, 200, 'registered, not signed in');
  t.match(registered.body, /We sent a link to <strong>nia@example\.com<\/strong>/);
  t.notOk(String(registered.headers['set-cookie'] ?? '').includes('sign-in='), 'no sign-in cookie');
  await smtp.next('nia@example.com');

  const refused = await signIn(app, new CookieJar(), '/login', 'nia');
  t.equal(refused.statusCode, 403);
  t.match(refused.body, /confirm your email address first/);
  const grant = await passwordLogin(app, 'nia', 'long enough');
  t.equal(grant.statusCode, 400);
  t.same(grant.json().error, 'invalid_grant');
  t.match(grant.json().error_description, /confirm its email address first/);
  t.ok(logs.records().some((record) => record.event === 'login_refused' && record.reason === 'email_unverified'));
  const wrong = await passwordLogin(app, 'nia', 'not the password');
  t.match(wrong.json().error_description, /username or password is wrong/, 'a wrong password says nothing of the address');

  const link = linkIn(await smtp.next('nia@example.com', 1), '/verify-email');
  await submit(app, new CookieJar(), (await visit(app, new CookieJar(), link)).body, '/verify-email', {});
  t.equal((await signIn(app, new CookieJar(), '/login', 'nia')).statusCode, 303, 'confirmed: signed in');
  t.equal((await passwordLogin(app, 'nia', 'long enough')).statusCode, 200);
});

t.test('MAIL_NEW_BROWSER_NOTICE: a sign-in from a browser new to the account is told, once per browser', async (t) => {
  const smtp = await startSmtp(t);
  const { app } = await mailApp(t, smtp, { mail: smtp.mailConfig({ newBrowserNotice: true }) });
  const first = new CookieJar();
  const page = await visit(app, first, '/register');
  t.equal((await submit(app, first, page.body, '/register', { username: 'omar', password: 'long enough', email: 'omar@example.com' })).statusCode, 303);
  await smtp.next('omar@example.com');
  await signIn(app, first, '/login', 'omar');
  const other = new CookieJar();
  const fromOther = await app.inject({
    method: 'GET',
    url: '/login',
    headers: { cookie: other.header(), 'user-agent': 'Mozilla/5.0 (Other Browser)' },
  });
  other.take(fromOther.headers['set-cookie']);
  const csrf = /name="csrf" value="([^"]+)"/.exec(fromOther.body)![1]!;
  const body = form({ username: 'omar', password: 'long enough', csrf });
  const signedIn = await app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress: '127.0.0.7',
    payload: body.payload,
    headers: { ...body.headers, cookie: other.header(), 'user-agent': 'Mozilla/5.0 (Other Browser)' },
  });
  t.equal(signedIn.statusCode, 303);
  other.take(signedIn.headers['set-cookie']);
  const notice = await smtp.next('omar@example.com', 1);
  t.match(notice.subject, /A new sign-in to your/);
  t.match(notice.text, /Browser: Mozilla\/5\.0 \(Other Browser\)/);
  t.match(notice.text, /IP address: 127\.0\.0\.7/);
  await signIn(app, other, '/login', 'omar');
  await signIn(app, first, '/login', 'omar');
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal(smtp.to('omar@example.com').length, 2, 'the registering browser and a known one are no news: the verification mail and one notice');
});

t.test('STARTTLS as the server offers it, its certificate verified: SMTP_CA_FILE trusts a private CA', async (t) => {
  const certificates = await testCertificates(t);
  const smtp = await startSmtp(t, { key: certificates.key, cert: certificates.cert });
  const trusting = smtp.mailConfig();
  if (trusting.transport.kind !== 'smtp') throw new Error('an smtp transport');
  const { app } = await mailApp(t, smtp, { mail: { ...trusting, transport: { ...trusting.transport, caFile: certificates.caFile } } });
  await registerWithEmail(app, 'uma', 'uma@example.com');
  await smtp.next('uma@example.com');
  t.same(smtp.secure, [true], 'the mail came over TLS (STARTTLS)');

  const doubting = await mailApp(t, smtp);
  await registerWithEmail(doubting.app, 'vic', 'vic@example.com');
  t.ok(
    await eventually(() => doubting.logs.records().some((record) => record.event === 'mail_retried'), 5000),
    'a certificate of an unknown CA is refused: the mail waits for a retry',
  );
  t.equal(smtp.to('vic@example.com').length, 0, 'never sent in the clear instead');
});
