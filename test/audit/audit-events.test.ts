import { decodeJwt } from 'jose';
import t from 'tap';
import { retireKey, rotateKey } from '../../src/keys/rotation.js';
import { activationDelay } from '../../src/keys/schedule.js';
import { buildTestApp, form, GENEROUS_LIMITS, type LogCapture, type TestApp } from '../helpers/app.js';
import { basicAuth } from '../helpers/clients.js';
import { refresh, registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { authorizeUrl, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, visit } from '../helpers/sign-in.js';

const SECRET_HASH = `sha256:${'0'.repeat(64)}`;
const CLIENTS = [
  { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' },
  { client_id: 'svc', type: 'confidential', client_secret_hash: SECRET_HASH, grant_types: ['client_credentials'], scope: 'orders:read' },
];
const USER_AGENT = 'audit-test/1.0';

/** The audit lines written so far, parsed. */
function auditLines(logs: LogCapture): Array<Record<string, unknown>> {
  return logs.records().filter((record) => record.audit === true);
}

/** The audit lines a step writes, and what the step answered. */
async function during<T>(logs: LogCapture, step: () => Promise<T>): Promise<{ events: Array<Record<string, unknown>>; result: T }> {
  const before = auditLines(logs).length;
  const result = await step();
  return { events: auditLines(logs).slice(before), result };
}

function login(app: TestApp['app'], username: string, password: string) {
  const body = form({ grant_type: 'password', client_id: 'web', username, password });
  return app.inject({ method: 'POST', url: '/oauth/token', payload: body.payload, headers: { ...body.headers, 'user-agent': USER_AGENT } });
}

t.test('each security event is one audit line at its moment, with who and where, and nothing secret', async (t) => {
  const { app, logs } = await buildTestApp(t, {
    clients: CLIENTS,
    config: { auditLog: 'debug', rateLimits: { ...GENEROUS_LIMITS, loginFreeFailures: 2, tokenPerIp: 1000 } },
  });
  const secrets: string[] = ['long enough', 'a new secret'];

  const registered = await during(logs, () => app.inject({ method: 'POST', url: '/account/register', payload: { username: 'ada', password: 'long enough' } }));
  const userId = registered.result.json().id as string;
  t.match(registered.events, [{ event: 'user_registered', user_id: userId, username: 'ada', ip: '127.0.0.1' }]);

  const loggedIn = await during(logs, () => login(app, 'ada', 'long enough'));
  const tokens = loggedIn.result.json() as Record<string, string>;
  secrets.push(tokens.access_token!, tokens.refresh_token!);
  const sid = decodeJwt(tokens.access_token!).sid;
  t.match(loggedIn.events, [
    { event: 'login_succeeded', via: 'password_grant', user_id: userId, client_id: 'web', sid, ip: '127.0.0.1', user_agent: USER_AGENT },
  ]);
  t.equal(loggedIn.events.length, 1, 'exactly one');

  const failed = await during(logs, () => login(app, 'ada', 'not the password'));
  t.match(failed.events, [{ event: 'login_failed', via: 'password_grant', username: 'ada', client_id: 'web' }]);
  t.equal(failed.events.length, 1);

  const refreshed = await during(logs, () => refresh(app, tokens.refresh_token!));
  secrets.push(refreshed.result.body.refresh_token!, refreshed.result.body.access_token!);
  t.match(refreshed.events, [{ event: 'token_refreshed', user_id: userId, client_id: 'web', sid, level: 20 }], 'token_refreshed at debug');

  const second = (await registerAndLogin(app, 'bob')).access_token!;
  secrets.push(second);
  const revoked = await during(logs, () => app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: second, client_id: 'web' }) }));
  t.match(revoked.events, [{ event: 'token_revoked', token_type: 'access_token', client_id: 'web', sid: decodeJwt(second).sid }]);

  const wrongClient = await during(logs, () => tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: basicAuth('svc', 'wrong secret') }));
  t.equal(wrongClient.result.status, 401);
  t.match(wrongClient.events, [{ event: 'client_auth_failed', client_id: 'svc' }]);
  secrets.push('wrong secret');

  const bearer = { authorization: `Bearer ${refreshed.result.body.access_token}`, 'user-agent': USER_AGENT };
  const changed = await during(logs, () =>
    app.inject({ method: 'POST', url: '/account/password', headers: bearer, payload: { current_password: 'long enough', new_password: 'a new secret' } }),
  );
  t.equal(changed.result.statusCode, 204);
  t.match(changed.events, [
    { event: 'password_changed', user_id: userId },
    { event: 'sessions_ended_all', reason: 'password_changed', user_id: userId, count: 0 },
  ]);

  const loggedOut = await during(logs, () => app.inject({ method: 'POST', url: '/account/logout', headers: bearer }));
  t.match(loggedOut.events, [{ event: 'session_ended', reason: 'logout', user_id: userId, sid }]);

  const again = (await login(app, 'ada', 'a new secret')).json().access_token as string;
  const all = await during(logs, () => app.inject({ method: 'POST', url: '/account/logout-all', headers: { authorization: `Bearer ${again}` } }));
  t.match(all.events, [{ event: 'sessions_ended_all', reason: 'logout_all', user_id: userId, count: 1 }]);

  await login(app, 'bob', 'wrong 1');
  await login(app, 'bob', 'wrong 2');
  const throttled = await during(logs, () => login(app, 'bob', 'wrong 3'));
  t.equal(throttled.result.statusCode, 429);
  t.match(throttled.events, [{ event: 'login_throttled', via: 'password_grant', username: 'bob' }]);

  const everything = logs.lines.filter((line) => line.includes('"audit":true')).join('\n');
  for (const secret of secrets) t.notOk(everything.includes(secret), 'no password, secret or token in any audit line');
});

t.test('refresh reuse, rate limits and the key lifecycle are audited', async (t) => {
  const { app, logs, clock, config, keysDir, keyring } = await buildTestApp(t, {
    clients: CLIENTS,
    config: { refreshReuseGrace: 0, rateLimits: { ...GENEROUS_LIMITS, registerPerIp: 1 } },
  });
  const tokens = await registerAndLogin(app, 'cyd');
  await refresh(app, tokens.refresh_token!);
  clock.advance(1);
  const reused = await during(logs, () => refresh(app, tokens.refresh_token!));
  t.equal(reused.result.status, 400);
  const owner = decodeJwt(tokens.access_token!);
  t.match(reused.events, [{ event: 'refresh_reuse_detected', user_id: owner.sub, client_id: 'web', sid: owner.sid }], 'the user whose session was compromised');

  const limited = await during(logs, () => app.inject({ method: 'POST', url: '/account/register', payload: { username: 'dora', password: 'long enough' } }));
  t.equal(limited.result.statusCode, 429);
  t.match(limited.events, [{ event: 'rate_limited', bucket: 'registerIp', ip: '127.0.0.1' }]);

  const now = () => Math.floor(clock() / 1000);
  const oldKid = keyring.signingKey()!.kid;
  const added = await rotateKey({ ...config, dir: keysDir, now: now() });
  t.same((await during(logs, () => keyring.refresh())).events, [], 'a key added but not yet active is no event');
  clock.advance(activationDelay(config));
  t.match((await during(logs, () => keyring.refresh())).events, [{ event: 'key_activated', kid: added.kid }]);
  await retireKey({ ...config, dir: keysDir, now: now() }, oldKid);
  t.match((await during(logs, () => keyring.refresh())).events, [{ event: 'key_retired', kid: oldKid }]);
  t.same((await during(logs, () => keyring.refresh())).events, [], 'each change once');
});

t.test('AUDIT_LOG=off writes no audit line and leaves the request log alone', async (t) => {
  const { app, logs } = await buildTestApp(t, { clients: CLIENTS, config: { auditLog: 'off' } });
  await registerAndLogin(app, 'eve');
  t.same(auditLines(logs), []);
  t.ok(
    logs.records().some((record) => record.path === '/oauth/token'),
    'the request log still writes',
  );
});

t.test('browser sign-in is audited: the login page, a replayed code, and signing out', async (t) => {
  const { app, logs } = await buildTestApp(t, { clients: SIGN_IN_CLIENTS });
  const { id: userId } = await register(app, 'fay');
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: challenge, scope: 'openid' });
  const loginUrl = `/login?${new URLSearchParams({ return_to: request })}`;
  t.match((await during(logs, () => signIn(app, jar, loginUrl, 'fay', 'wrong'))).events, [{ event: 'login_failed', via: 'login_page', username: 'fay' }]);
  t.match((await during(logs, () => signIn(app, jar, loginUrl, 'fay'))).events, [{ event: 'login_succeeded', via: 'login_page', user_id: userId }]);
  const code = new URL((await visit(app, jar, request)).headers.location as string).searchParams.get('code')!;
  const redeem = () => tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
  const first = await redeem();
  const replayed = await during(logs, redeem);
  t.match(replayed.events, [
    { event: 'session_ended', reason: 'code_replayed', user_id: userId, client_id: 'spa', sid: decodeJwt(first.body.access_token!).sid },
  ]);
  const page = await visit(app, jar, '/account');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const body = form({ csrf });
  const signedOut = await during(logs, () =>
    app.inject({ method: 'POST', url: '/logout', payload: body.payload, headers: { ...body.headers, cookie: jar.header() } }),
  );
  t.match(signedOut.events, [{ event: 'sessions_ended_all', reason: 'sign_out', user_id: userId, count: 0 }]);
});
