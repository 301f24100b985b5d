/**
 * The seven findings of the white-box review (issue 19), each as an attack that worked before the fix.
 * Where state is involved, each runs against the in-memory store and a real redis-server.
 */
import { decodeJwt } from 'jose';
import t from 'tap';
import { addressBucket } from '../../src/http/address-bucket.js';
import { MAX_CLOCK_TOLERANCE } from '@tokensmith/verifier/shared';
import { buildTestApp, form, GENEROUS_LIMITS, type StoreKind, type TestApp } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { passwordLogin, refresh, registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const KINDS: StoreKind[] = ['memory', 'redis'];
const PASSWORD = 'the right password';

/** What every route that accepts an access token says of it: /account/me, /forward-auth and introspection. */
async function tokenAccepted(app: TestApp['app'], accessToken: string): Promise<{ me: number; forwardAuth: number; active: boolean }> {
  const authorization = `Bearer ${accessToken}`;
  const me = await app.inject({ method: 'GET', url: '/account/me', headers: { authorization } });
  const forwardAuth = await app.inject({ method: 'GET', url: '/forward-auth', headers: { authorization } });
  const request = form({ token: accessToken });
  const introspection = await app.inject({
    method: 'POST',
    url: '/oauth/introspect',
    payload: request.payload,
    headers: { ...request.headers, authorization: basicAuth('gateway', SECRETS.gateway) },
  });
  return { me: me.statusCode, forwardAuth: forwardAuth.statusCode, active: introspection.json().active };
}

const REFUSED = { me: 401, forwardAuth: 401, active: false };
const ACCEPTED = { me: 200, forwardAuth: 200, active: true };

function changePassword(app: TestApp['app'], accessToken: string, current: string, remoteAddress = '127.0.0.1') {
  return app.inject({
    method: 'POST',
    url: '/account/password',
    remoteAddress,
    headers: { authorization: `Bearer ${accessToken}` },
    payload: { current_password: current, new_password: 'a brand new password' },
  });
}

for (const kind of KINDS) {
  t.test(`finding 1: POST /account/password is no unlimited password oracle (${kind} store)`, async (t) => {
    t.test('a session that keeps guessing the current password ends after LOGIN_FREE_FAILURES, and its token with it', async (t) => {
      const { app } = await buildTestApp(t, {
        store: kind,
        redis,
        clients: SERVICE_CLIENTS,
        config: { rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 5 } },
      });
      const stolen = await registerAndLogin(app, 'oracle-a', 'web', PASSWORD);
      const answers: number[] = [];
      for (let guess = 0; guess < 12; guess++) answers.push((await changePassword(app, stolen.access_token!, `guess number ${guess}`)).statusCode);
      t.same(answers.slice(0, 5), [400, 400, 400, 400, 400], 'five wrong guesses are checked');
      t.ok(
        answers.slice(5).every((status) => status === 401),
        `then the session has ended: ${answers.join(',')}`,
      );
      const right = await changePassword(app, stolen.access_token!, PASSWORD);
      t.equal(right.statusCode, 401, 'the right password no longer answers 204 to the stolen token');
      t.same(await tokenAccepted(app, stolen.access_token!), REFUSED, 'the stolen token is refused everywhere');
    });

    t.test('wrong current passwords count on the account throttle that logins use: another session must wait too', async (t) => {
      const { app, clock } = await buildTestApp(t, { store: kind, redis, config: { rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 3 } } });
      const owner = await registerAndLogin(app, 'oracle-b', 'web', PASSWORD);
      const thief = (await tokenRequest(app, { grant_type: 'password', client_id: 'web', username: 'oracle-b', password: PASSWORD })).body;
      for (let guess = 0; guess < 3; guess++) t.equal((await changePassword(app, thief.access_token!, `guess ${guess}`)).statusCode, 400);
      const throttled = await changePassword(app, owner.access_token!, PASSWORD);
      t.equal(throttled.statusCode, 429, 'even the right password waits its turn: no oracle while throttled');
      t.equal(throttled.headers['retry-after'], '2');
      t.equal((await passwordLogin(app, 'oracle-b', PASSWORD)).statusCode, 429, 'and so does a login of the account');
      clock.advance(2);
      t.equal((await changePassword(app, owner.access_token!, PASSWORD)).statusCode, 204, 'after the spacing the owner changes the password');
    });

    t.test('password changes count in the per-username limit that logins use (RATE_LIMIT_LOGIN_USER)', async (t) => {
      const { app } = await buildTestApp(t, { store: kind, redis, config: { rateLimits: { ...GENEROUS_LIMITS, loginPerUser: 3 } } });
      const session = await registerAndLogin(app, 'oracle-c', 'web', PASSWORD);
      t.equal((await changePassword(app, session.access_token!, 'guess one', '192.0.2.1')).statusCode, 400);
      t.equal((await changePassword(app, session.access_token!, 'guess two', '192.0.2.2')).statusCode, 400);
      const limited = await changePassword(app, session.access_token!, PASSWORD, '192.0.2.3');
      t.equal(limited.statusCode, 429, 'the login and two checks filled the bucket of the username');
      t.equal(limited.json().error, 'too_many_requests');
      t.equal((await passwordLogin(app, 'ORACLE-C', PASSWORD, '192.0.2.4')).statusCode, 429, 'one bucket for logins and password checks');
    });
  });

  t.test(`finding 2: no access token outlives its session, and ended sessions refuse all of theirs (${kind} store)`, async (t) => {
    t.test('a refresh just before the absolute end yields a token that expires with the session', async (t) => {
      const { app, clock } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS, config: { refreshTokenTtl: 60, accessTokenTtl: 600 } });
      const first = await registerAndLogin(app, 'outlive-a');
      const loggedInAt = decodeJwt(first.access_token!).iat!;
      t.equal(Number(first.expires_in), 60, 'the first token is capped too');
      clock.advance(50);
      const late = await refresh(app, first.refresh_token!);
      t.equal(late.status, 200);
      t.equal(Number(late.body.expires_in), 10, 'expires_in says the capped lifetime');
      t.equal(decodeJwt(late.body.access_token!).exp, loggedInAt + 60, 'exp is the end of the session');
      t.same(await tokenAccepted(app, late.body.access_token!), ACCEPTED);
      clock.advance(16);
      t.equal((await refresh(app, late.body.refresh_token!)).status, 400, 'the session is over');
      t.same(await tokenAccepted(app, late.body.access_token!), REFUSED, 'and so is every token it issued');
    });

    t.test('a token expires when its session would end unused (REFRESH_IDLE_TTL)', async (t) => {
      const { app, clock } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS, config: { refreshIdleTtl: 120, accessTokenTtl: 600 } });
      const session = await registerAndLogin(app, 'outlive-b');
      t.equal(Number(session.expires_in), 120);
      clock.advance(100);
      const renewed = await refresh(app, session.refresh_token!);
      t.equal(Number(renewed.body.expires_in), 120, 'each refresh renews the idle time, and the cap with it');
      clock.advance(126);
      t.same(await tokenAccepted(app, renewed.body.access_token!), REFUSED);
    });

    t.test('logout-all and a password change refuse the tokens of every ended session', async (t) => {
      const { app } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS });
      const victim = await registerAndLogin(app, 'outlive-c', 'web', PASSWORD);
      const thief = (await refresh(app, (await registerAndLogin(app, 'outlive-c', 'web', PASSWORD)).refresh_token!)).body;
      t.same(await tokenAccepted(app, thief.access_token!), ACCEPTED);
      t.equal((await changePassword(app, victim.access_token!, PASSWORD)).statusCode, 204);
      t.same(await tokenAccepted(app, thief.access_token!), REFUSED, "a password change ends the thief's session and refuses its token");
      const again = await registerAndLogin(app, 'outlive-c', 'web', 'a brand new password');
      const other = await registerAndLogin(app, 'outlive-c', 'web', 'a brand new password');
      const ended = await app.inject({ method: 'POST', url: '/account/logout-all', headers: { authorization: `Bearer ${again.access_token}` } });
      t.equal(ended.json().ended, 3, "the victim's, and both new ones");
      t.same(await tokenAccepted(app, other.access_token!), REFUSED);
    });
  });

  t.test(`finding 4: a spent refresh token with scope= goes through reuse detection first (${kind} store)`, async (t) => {
    const { app, clock } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS });

    t.test('outside the grace it revokes the family and reveals nothing about the session', async (t) => {
      const login = await registerAndLogin(app, 'probe-a');
      const rotated = await refresh(app, login.refresh_token!);
      clock.advance(11);
      const probe = await refresh(app, login.refresh_token!, 'web', { scope: 'orders:read admin x' });
      t.equal(probe.status, 400);
      t.same(probe.body, { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' });
      t.equal((await refresh(app, rotated.body.refresh_token!)).status, 400, 'the whole family is revoked, as without scope');
      t.same(await tokenAccepted(app, rotated.body.access_token!), REFUSED);
    });

    t.test('the current token with a scope beyond the session: invalid_scope naming none of it, and the token is not spent', async (t) => {
      const login = await registerAndLogin(app, 'probe-b');
      const wider = await refresh(app, login.refresh_token!, 'web', { scope: 'orders:read admin' });
      t.equal(wider.status, 400);
      t.equal(wider.body.error, 'invalid_scope');
      t.notMatch(wider.body.error_description!, /admin/, 'the refused scope is not listed');
      t.equal((await refresh(app, login.refresh_token!)).status, 200);
    });

    t.test('client_credentials errors do not list refused scopes either', async (t) => {
      const response = await tokenRequest(
        app,
        { grant_type: 'client_credentials', scope: 'orders:read billing secret-scope' },
        { authorization: basicAuth('orders-svc', SECRETS.orders) },
      );
      t.equal(response.body.error, 'invalid_scope');
      t.notMatch(response.body.error_description!, /billing|secret-scope/);
    });
  });

  t.test(`finding 5: password attempts are reserved atomically, however many arrive at once (${kind} store)`, async (t) => {
    t.test('20 parallel wrong logins: only the free failures are checked; 61 s later, one more', async (t) => {
      const { app, clock } = await buildTestApp(t, { store: kind, redis, config: { rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 5 } } });
      await registerAndLogin(app, 'race-a', 'web', PASSWORD);
      const burst = async () => (await Promise.all(Array.from({ length: 20 }, (_, i) => passwordLogin(app, 'race-a', `wrong ${i}`)))).map((r) => r.statusCode);
      const first = await burst();
      t.equal(first.filter((status) => status === 400).length, 5, `checked: ${first.join(',')}`);
      t.equal(first.filter((status) => status === 429).length, 15);
      clock.advance(61);
      const second = await burst();
      t.equal(second.filter((status) => status === 400).length, 1, `the spacing allows one: ${second.join(',')}`);
    });

    t.test('50 parallel attempts with 10 free failures: exactly 10 checked', async (t) => {
      const { app } = await buildTestApp(t, { store: kind, redis, config: { rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 10 } } });
      await registerAndLogin(app, 'race-b', 'web', PASSWORD);
      const statuses = (await Promise.all(Array.from({ length: 50 }, (_, i) => passwordLogin(app, 'race-b', `wrong ${i}`)))).map((r) => r.statusCode);
      t.equal(statuses.filter((status) => status === 400).length, 10, statuses.join(','));
      t.ok(statuses.every((status) => status === 400 || status === 429));
    });
  });
}

t.test('finding 5: the reservation holds across instances sharing one Redis', async (t) => {
  const prefix = redis.prefix();
  const shared = { ...redis, prefix: () => prefix };
  const config = { rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 5 } };
  const a = await buildTestApp(t, { store: 'redis', redis: shared, config });
  const b = await buildTestApp(t, { store: 'redis', redis: shared, config });
  await registerAndLogin(a.app, 'race-c', 'web', PASSWORD);
  const statuses = (await Promise.all(Array.from({ length: 30 }, (_, i) => passwordLogin(i % 2 ? a.app : b.app, 'race-c', `wrong ${i}`)))).map(
    (r) => r.statusCode,
  );
  t.equal(statuses.filter((status) => status === 400).length, 5, statuses.join(','));
});

t.test('finding 3: per-IP limits count an IPv6 client by its /64, an IPv4-mapped address as IPv4', async (t) => {
  t.test('40 failed logins from 40 addresses of one /64 behind a trusted proxy meet the per-IP limit', async (t) => {
    const { app } = await buildTestApp(t, { store: 'redis', redis, config: { trustProxy: ['127.0.0.1'], rateLimits: { ...GENEROUS_LIMITS, loginPerIp: 30 } } });
    const statuses: number[] = [];
    for (let i = 1; i <= 40; i++)
      statuses.push(
        (await passwordLogin(app, `v6-user-${i}`, 'guess-guess', '127.0.0.1', { 'x-forwarded-for': `2001:db8:1:2::${i.toString(16)}` })).statusCode,
      );
    t.same(statuses.slice(0, 30), new Array(30).fill(400));
    t.same(statuses.slice(30), new Array(10).fill(429), 'the /64 shares one bucket');
    const neighbour = await passwordLogin(app, 'v6-other', 'guess-guess', '127.0.0.1', { 'x-forwarded-for': '2001:db8:1:3::1' });
    t.equal(neighbour.statusCode, 400, 'another /64 has its own');
  });

  t.test('every per-IP limit: registration, the token endpoint, revocation', async (t) => {
    const { app } = await buildTestApp(t, { config: { rateLimits: { ...GENEROUS_LIMITS, registerPerIp: 2, tokenPerIp: 2, otherPerIp: 2 } } });
    const register = (n: number) =>
      app.inject({
        method: 'POST',
        url: '/account/register',
        remoteAddress: `2001:db8:a:b:${n}::1`,
        payload: { username: `v6-reg-${n}`, password: 'long enough' },
      });
    t.same([(await register(1)).statusCode, (await register(2)).statusCode, (await register(3)).statusCode], [201, 201, 429]);
    const refreshFrom = (n: number) => {
      const request = form({ grant_type: 'refresh_token', client_id: 'web', refresh_token: 'x'.repeat(43) });
      return app.inject({ method: 'POST', url: '/oauth/token', remoteAddress: `2001:db8:a:b::${n}`, ...request });
    };
    t.same([(await refreshFrom(1)).statusCode, (await refreshFrom(2)).statusCode, (await refreshFrom(3)).statusCode], [400, 400, 429]);
    const revokeFrom = (address: string) =>
      app.inject({ method: 'POST', url: '/oauth/revoke', remoteAddress: address, ...form({ token: 'x', client_id: 'web' }) });
    t.same(
      [(await revokeFrom('192.0.2.9')).statusCode, (await revokeFrom('::ffff:192.0.2.9')).statusCode, (await revokeFrom('::ffff:c000:209')).statusCode],
      [200, 200, 429],
      'IPv4 and IPv4-mapped are one client',
    );
  });

  t.test('RATE_LIMIT_IPV6_PREFIX widens the bucket', async (t) => {
    const { app } = await buildTestApp(t, { config: { trustProxy: ['127.0.0.1'], rateLimits: { ...GENEROUS_LIMITS, loginPerIp: 2, ipv6Prefix: 48 } } });
    const from = (address: string) => passwordLogin(app, 'v6-wide', 'guess-guess', '127.0.0.1', { 'x-forwarded-for': address });
    t.same(
      [(await from('2001:db8:5:1::1')).statusCode, (await from('2001:db8:5:2::1')).statusCode, (await from('2001:db8:5:ffff::1')).statusCode],
      [400, 400, 429],
    );
  });

  t.test('addressBucket', async (t) => {
    t.equal(addressBucket('192.0.2.1', 64), '192.0.2.1');
    t.equal(addressBucket('::ffff:192.0.2.1', 64), '192.0.2.1');
    t.equal(addressBucket('::ffff:c000:201', 64), '192.0.2.1');
    t.equal(addressBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64), '2001:db8:1:2:0:0:0:0/64');
    t.equal(addressBucket('2001:DB8:1:2::1%eth0', 64), '2001:db8:1:2:0:0:0:0/64', 'zone and letter case do not matter');
    t.equal(addressBucket('2001:db8:1:2ff::1', 56), '2001:db8:1:200:0:0:0:0/56');
    t.equal(addressBucket('2001:db8::1', 128), '2001:db8:0:0:0:0:0:1/128');
    t.equal(addressBucket('::1', 64), '0:0:0:0:0:0:0:0/64');
    t.equal(addressBucket('64:ff9b::192.0.2.1', 128), '64:ff9b:0:0:0:0:c000:201/128', 'an embedded IPv4 tail is parsed');
    t.equal(addressBucket('not an address', 64), 'not an address');
  });
});

for (const kind of KINDS) {
  t.test(`finding 6: an ended session's tokens stay refused through the clock tolerance (${kind} store)`, async (t) => {
    const { app, clock, store } = await buildTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS, config: { accessTokenTtl: 1 } });
    const session = await registerAndLogin(app, 'tolerance-a');
    const exp = decodeJwt(session.access_token!).exp!;
    t.equal((await app.inject({ method: 'POST', url: '/account/logout', headers: { authorization: `Bearer ${session.access_token}` } })).statusCode, 204);
    const revokedByRequest = await registerAndLogin(app, 'tolerance-b');
    const revokeRequest = form({ token: revokedByRequest.access_token!, client_id: 'web' });
    t.equal((await app.inject({ method: 'POST', url: '/oauth/revoke', ...revokeRequest })).statusCode, 200);
    // Real time too: Redis expires its keys by its own clock.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    clock.advance(2.2);
    t.ok(Math.floor(clock() / 1000) > exp, 'the tokens have expired, but are inside the 5 s the service allows');
    t.same(await tokenAccepted(app, session.access_token!), REFUSED, "the logged-out session's token");
    t.same(await tokenAccepted(app, revokedByRequest.access_token!), REFUSED, 'the revoked jti');
    const entries = await store.revocations.snapshot();
    const sidEntry = entries.find((entry) => entry.kind === 'sid' && entry.id === decodeJwt(session.access_token!).sid);
    const jtiEntry = entries.find((entry) => entry.kind === 'jti' && entry.id === decodeJwt(revokedByRequest.access_token!).jti);
    t.ok(sidEntry && sidEntry.exp >= exp + MAX_CLOCK_TOLERANCE, `the feed holds the sid past exp + ${MAX_CLOCK_TOLERANCE} s (${sidEntry?.exp} vs ${exp})`);
    t.ok(jtiEntry && jtiEntry.exp >= decodeJwt(revokedByRequest.access_token!).exp! + MAX_CLOCK_TOLERANCE, 'and the jti');
  });
}

t.test('finding 7: forward-auth refuses unknown query parameters, so a misspelled rule fails closed', async (t) => {
  const { app } = await buildTestApp(t, { clients: SERVICE_CLIENTS });
  const session = await registerAndLogin(app, 'rules');
  const check = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${session.access_token}` } });
  t.equal((await check('/forward-auth?scope=admin')).statusCode, 403, 'the rule as meant');
  for (const [url, named] of [
    ['/forward-auth?scopes=admin', 'scopes'],
    ['/forward-auth?Scope=admin', 'Scope'],
    ['/forward-auth?scope=profile&audiences=x', 'audiences'],
  ] as const) {
    const response = await check(url);
    t.equal(response.statusCode, 400, url);
    t.same(response.json(), { error: 'invalid_request', error_description: `unknown query parameter "${named}"` }, 'and says why');
    t.equal(response.headers['x-auth-subject'], undefined);
  }
  t.equal((await check('/forward-auth?scope=admin&scope=profile')).statusCode, 400, 'a repeated parameter');
  t.equal((await check('/forward-auth?scope=profile&audience=api')).statusCode, 200);
  t.equal(
    (await check('/forward-auth/api/orders?scopes=admin&page=2')).statusCode,
    200,
    "behind a path (Envoy) the query is the original request's, never a rule",
  );
  const envoyRule = await app.inject({
    method: 'GET',
    url: '/forward-auth/api/orders',
    headers: { authorization: `Bearer ${session.access_token}`, 'x-required-scope': 'admin' },
  });
  t.equal(envoyRule.statusCode, 403, 'there the rule comes from X-Required-Scope');
});
