import t from 'tap';
import { adminCall, buildAdminTestApp, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { realClock } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { ACCOUNT_SPA, CookieJar, register, signIn, submitAccountForm, visit } from '../helpers/sign-in.js';
import { startUpstream } from '../helpers/upstream-provider.js';
import { parseProviderEntry } from '../../src/federation/provider.js';

// Linking an upstream identity to an account here: only after the account is proven in the same browser, never
// because an email matches (the account pre-hijacking attacks), and never unlinking the last way in. Two real
// upstream providers (node-oidc-provider on loopback ports).

const ISSUER = 'http://127.0.0.1:3000';

async function setUp(t: Parameters<typeof buildAdminTestApp>[0], options: { createAccounts?: boolean; trustEmail?: boolean } = {}) {
  const [first, second] = await Promise.all(['first', 'second'].map((id) => startUpstream(t, `${ISSUER}/login/${id}/callback`)));
  const entry = (id: string, upstream: typeof first) =>
    parseProviderEntry(
      {
        id,
        name: id === 'first' ? 'First' : 'Second',
        issuer: upstream!.issuer,
        client_id: upstream!.clientId,
        client_secret: upstream!.clientSecret,
        scope: 'openid profile email',
        userinfo: true,
        ...(options.createAccounts === undefined ? {} : { create_accounts: options.createAccounts }),
        ...(options.trustEmail === undefined ? {} : { trust_email: options.trustEmail }),
      },
      {},
    );
  const built = await buildAdminTestApp(t, 'memory', {
    clients: [ACCOUNT_SPA, ...SERVICE_CLIENTS, OPS_CLIENT],
    clock: realClock(),
    config: { issuer: ISSUER, providers: [entry('first', first!), entry('second', second!)] },
  });
  return { ...built, first: first!, second: second! };
}

type Built = Awaited<ReturnType<typeof setUp>>;

/** Signs a browser in through a provider from the login page; answers the callback's response. */
async function throughUpstream(built: Built, upstream: Built['first'], jar: CookieJar, login: string, start: string) {
  const toUpstream = await visit(built.app, jar, start);
  if (toUpstream.statusCode !== 303) throw new Error(`no redirect to the provider: ${toUpstream.statusCode} ${toUpstream.body}`);
  const callback = new URL(await upstream.signIn(String(toUpstream.headers.location), login));
  return visit(built.app, jar, `${callback.pathname}${callback.search}`);
}

/** Links from the account page: the form (with the password when given), the provider, its callback. */
async function linkFromAccount(built: Built, upstream: Built['first'], jar: CookieJar, provider: string, login: string, password?: string) {
  // An account without a password sends the page's hidden, empty field.
  const asked = await submitAccountForm(built.app, jar, '/account/providers/link', { provider, current_password: password ?? '' });
  if (asked.statusCode !== 303) return { asked, answer: undefined };
  const callback = new URL(await upstream.signIn(String(asked.headers.location), login));
  return { asked, answer: await visit(built.app, jar, `${callback.pathname}${callback.search}`), callback };
}

/** The account a browser is signed in as, from its account page. */
async function signedInAs(built: Built, jar: CookieJar): Promise<string | undefined> {
  const page = await visit(built.app, jar, '/account');
  return /signed in as <strong>([^<]+)<\/strong>/.exec(page.body)?.[1];
}

t.test('an identity links to an account proven in the same browser, then signs that account in', async (t) => {
  const built = await setUp(t);
  const { app, store, first, logs } = built;
  const { id } = await register(app, 'vera');
  const jar = new CookieJar();
  t.equal((await signIn(app, jar, '/login', 'vera')).statusCode, 303);
  const page = await visit(app, jar, '/account');
  t.match(page.body, /Other ways to sign in/);
  t.match(page.body, /<button type="submit">Link First<\/button>/);
  t.match(String(page.headers['content-security-policy']), new RegExp(`form-action 'self' ${first.issuer}`), 'the form may lead to the provider');

  const wrong = await linkFromAccount(built, first, jar, 'first', 'vera-upstream', 'not the password');
  t.equal(wrong.asked.statusCode, 400, 'a wrong password: no round trip');
  t.match(wrong.asked.body, /The current password is wrong/);

  const { asked, answer, callback } = await linkFromAccount(built, first, jar, 'first', 'vera-upstream', 'long enough');
  t.equal(new URL(String(asked.headers.location)).origin, first.issuer, 'on to the provider');
  t.equal(answer!.statusCode, 200);
  t.match(answer!.body, /First is linked to your account/);
  t.same(
    (await store.identityLinks.listForUser(id)).map(({ providerId, issuer, subject }) => ({ providerId, issuer, subject })),
    [{ providerId: 'first', issuer: first.issuer, subject: 'vera-upstream' }],
  );
  t.ok(
    logs.records().some((line) => line.event === 'identity_linked' && line.provider === 'first' && line.user_id === id),
    'audited',
  );
  t.equal((await visit(app, jar, `${callback!.pathname}${callback!.search}`)).statusCode, 400, 'the callback is spent');

  const elsewhere = new CookieJar();
  t.equal((await throughUpstream(built, first, elsewhere, 'vera-upstream', '/login/first')).statusCode, 303);
  t.equal(await signedInAs(built, elsewhere), 'vera', 'the identity now signs the account in');
  const accountPage = await visit(app, jar, '/account');
  t.match(accountPage.body, /First: linked /);
  t.notMatch(accountPage.body, /Link First</, 'linked: no second link form');

  await register(app, 'walt');
  const walt = new CookieJar();
  await signIn(app, walt, '/login', 'walt');
  const taken = await linkFromAccount(built, first, walt, 'first', 'vera-upstream', 'long enough');
  t.equal(taken.answer!.statusCode, 409, "another account's identity is never linked");
  t.match(taken.answer!.body, /signs another account in here/);
  t.equal(await store.identityLinks.find(first.issuer, 'vera-upstream'), id);
});

t.test('linking ends in the sign-in that asked: signed out meanwhile, or another browser, links nothing', async (t) => {
  const built = await setUp(t);
  const { app, store, first } = built;
  const { id } = await register(app, 'xena');
  const jar = new CookieJar();
  await signIn(app, jar, '/login', 'xena');
  const asked = await submitAccountForm(app, jar, '/account/providers/link', { provider: 'first', current_password: 'long enough' });
  const callback = new URL(await first.signIn(String(asked.headers.location), 'xena-upstream'));
  await submitAccountForm(app, jar, '/logout');
  const signedOut = await visit(app, jar, `${callback.pathname}${callback.search}`);
  t.equal(signedOut.statusCode, 400);
  t.match(signedOut.body, /no longer signed in as the account that asked/);
  t.same(await store.identityLinks.listForUser(id), [], 'nothing linked');
  t.equal(await store.identityLinks.find(first.issuer, 'xena-upstream'), undefined, 'and no account made for the identity either');
});

t.test('pre-hijacking: an email registered by someone else never joins accounts, either way round', async (t) => {
  const built = await setUp(t);
  const { app, admin, store, first } = built;
  const token = await clientToken(app);
  // The victim's account here has a verified address; the attacker signs up at the provider with that same
  // address (the provider even says it is verified) and signs in here through it.
  const victim = await register(app, 'victim');
  t.equal((await adminCall(admin, token, 'PUT', `/admin/users/${victim.id}/email`, { email: 'victim@upstream.example', verified: true })).statusCode, 200);
  const attacker = new CookieJar();
  t.equal((await throughUpstream(built, first, attacker, 'victim', '/login/first')).statusCode, 303);
  const landed = await signedInAs(built, attacker);
  t.not(landed, 'victim', 'the attacker lands in an account of their own');
  t.match(landed, /^victim-[0-9a-f]{6}$/);
  t.same(await store.identityLinks.listForUser(victim.id), [], "the victim's account gained no way in");

  // The other way round: the attacker registers here first with the victim's upstream address, then the victim signs
  // in through the provider: the victim must not land in the attacker's account.
  const planted = await register(app, 'planted');
  await adminCall(admin, token, 'PUT', `/admin/users/${planted.id}/email`, { email: 'carol@upstream.example', verified: true });
  const carol = new CookieJar();
  await throughUpstream(built, first, carol, 'carol', '/login/first');
  t.equal(await signedInAs(built, carol), 'carol', "the victim gets a new account, not the attacker's");
  t.same(await store.identityLinks.listForUser(planted.id), []);
});

t.test('unlinking: never the last way in; a password or another provider makes it possible', async (t) => {
  const built = await setUp(t);
  const { app, store, first, second } = built;
  const jar = new CookieJar();
  t.equal((await throughUpstream(built, first, jar, 'yves', '/login/first')).statusCode, 303);
  const user = (await store.users.findByUsernameKey('yves'))!;
  const page = await visit(app, jar, '/account');
  t.notMatch(page.body, /provider_password_/, 'an account without a password links by its recent sign-in');
  const last = await submitAccountForm(app, jar, '/account/providers/unlink', { provider: 'first' });
  t.equal(last.statusCode, 409);
  t.match(last.body, /First is the only way this account signs in/);
  t.equal((await store.identityLinks.listForUser(user.id)).length, 1, 'still linked');

  const linked = await linkFromAccount(built, second, jar, 'second', 'yves-second');
  t.equal(linked.answer!.statusCode, 200, 'linked by a sign-in of the last minutes');
  const unlinked = await submitAccountForm(app, jar, '/account/providers/unlink', { provider: 'first' });
  t.equal(unlinked.statusCode, 200);
  t.match(unlinked.body, /First is unlinked/);
  t.same(
    (await store.identityLinks.listForUser(user.id)).map((link) => link.providerId),
    ['second'],
  );
  const again = new CookieJar();
  await throughUpstream(built, first, again, 'yves', '/login/first');
  t.not(await signedInAs(built, again), 'yves', 'the unlinked identity signs the account in no more');
  t.equal((await submitAccountForm(app, jar, '/account/providers/unlink', { provider: 'second' })).statusCode, 409, 'second is now the last');
});

t.test('create_accounts false: only a linked identity signs in; nothing is made for the others', async (t) => {
  const built = await setUp(t, { createAccounts: false });
  const { app, store, first } = built;
  const stranger = await throughUpstream(built, first, new CookieJar(), 'zoe', '/login/first');
  t.equal(stranger.statusCode, 403);
  t.match(stranger.body, /No account here is linked to this identity/);
  t.equal((await store.users.list({ prefix: 'zoe', limit: 5 })).users.length, 0, 'no account made');

  await register(app, 'zoe');
  const jar = new CookieJar();
  await signIn(app, jar, '/login', 'zoe');
  t.equal((await linkFromAccount(built, first, jar, 'first', 'zoe', 'long enough')).answer!.statusCode, 200);
  const later = new CookieJar();
  t.equal((await throughUpstream(built, first, later, 'zoe', '/login/first')).statusCode, 303);
  t.equal(await signedInAs(built, later), 'zoe');
});

t.test('operators see and remove links: even the last way in, the owner told', async (t) => {
  const built = await setUp(t);
  const { app, admin, store, first, logs } = built;
  const jar = new CookieJar();
  await throughUpstream(built, first, jar, 'uma', '/login/first');
  const user = (await store.users.findByUsernameKey('uma'))!;
  const token = await clientToken(app);
  const listed = await adminCall(admin, token, 'GET', `/admin/users/${user.id}/identities`);
  t.equal(listed.statusCode, 200);
  t.match(listed.json(), [{ provider: 'first', name: 'First', offered: true, subject: 'uma', linked_at: Number }]);
  t.equal((await adminCall(admin, token, 'DELETE', `/admin/users/${user.id}/identities/second`)).statusCode, 404, 'not linked');
  t.equal((await adminCall(admin, token, 'DELETE', `/admin/users/uma/identities/first`)).statusCode, 204, 'the last way in, by an operator');
  t.same((await adminCall(admin, token, 'GET', `/admin/users/${user.id}/identities`)).json(), []);
  t.ok(logs.records().some((line) => line.event === 'admin_action' && line.action === 'user_identity_unlinked' && line.target === user.id));
  t.ok(logs.records().some((line) => line.event === 'identity_unlinked' && line.provider === 'first' && line.user_id === user.id));
  const again = new CookieJar();
  await throughUpstream(built, first, again, 'uma', '/login/first');
  t.not(await signedInAs(built, again), 'uma', 'the identity no longer signs the account in');
});

t.test('an account without a password proves itself by a recent sign-in: it sets a password, then may unlink', async (t) => {
  const built = await setUp(t);
  const { app, store, first, clock, logs } = built;
  const jar = new CookieJar();
  await throughUpstream(built, first, jar, 'quinn', '/login/first');
  const page = await visit(app, jar, '/account');
  t.match(page.body, /<h2>Set a password<\/h2>/);
  t.notMatch(page.body, /type="password" id="current_password"/, 'no current password to ask for');

  clock.advance(301);
  const stale = await submitAccountForm(app, jar, '/account/change-password', { current_password: '', new_password: 'a new password' });
  t.equal(stale.statusCode, 400);
  t.match(stale.body, /needs a recent sign-in/);
  const staleLink = await submitAccountForm(app, jar, '/account/providers/link', { provider: 'second', current_password: '' });
  t.equal(staleLink.statusCode, 400, 'nor links another provider on a stale sign-in');
  t.equal((await store.users.findByUsernameKey('quinn'))!.passwordHash, '', 'nothing set');
  t.notOk(
    logs.records().some((line) => line.event === 'login_throttled'),
    'a stale sign-in is no password guess',
  );

  await throughUpstream(built, first, jar, 'quinn', '/login/first');
  const set = await submitAccountForm(app, jar, '/account/change-password', { current_password: '', new_password: 'a new password' });
  t.equal(set.statusCode, 200, 'a fresh sign-in sets the first password');
  const fresh = new CookieJar();
  t.equal((await signIn(app, fresh, '/login', 'quinn', 'a new password')).statusCode, 303, 'which signs in');
  t.equal((await submitAccountForm(app, jar, '/account/providers/unlink', { provider: 'first' })).statusCode, 200, 'the provider is no longer the only way in');
});

t.test('trust_email: a verified upstream address comes with a new account while free; it never joins accounts', async (t) => {
  const built = await setUp(t, { trustEmail: true });
  const { app, admin, store, first } = built;
  await throughUpstream(built, first, new CookieJar(), 'lea', '/login/first');
  t.same(
    (await store.users.findByUsernameKey('lea'))!.email,
    { address: 'lea@upstream.example', key: 'lea@upstream.example', verified: true },
    'verified, as the provider said',
  );

  // Someone here holds the address the provider vouches for: the new account comes without it, and nothing is joined.
  const holder = await register(app, 'holder');
  await adminCall(admin, await clientToken(app), 'PUT', `/admin/users/${holder.id}/email`, { email: 'max@upstream.example' });
  const jar = new CookieJar();
  t.equal((await throughUpstream(built, first, jar, 'max', '/login/first')).statusCode, 303);
  t.equal(await signedInAs(built, jar), 'max', 'its own account, under the name it asked for');
  t.equal((await store.users.findByUsernameKey('max'))!.email, undefined, 'without the address another account holds');
  t.same(await store.identityLinks.listForUser(holder.id), [], "the holder's account gained no way in");

  const untrusting = await setUp(t);
  await throughUpstream(untrusting, untrusting.first, new CookieJar(), 'ned', '/login/first');
  t.equal((await untrusting.store.users.findByUsernameKey('ned'))!.email, undefined, 'by default no address is taken from upstream');
});
