/**
 * An audit event that concerns a user names the user id, so an operator can act on it without a second lookup; and an
 * event says what happened once: the retry of a registration that landed writes no second `user_registered`.
 */
import { decodeJwt } from 'jose';
import t from 'tap';
import { buildTestApp, form, type StoreKind, type TestApp } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { refresh, registerAndLogin, serviceToken } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { CookieJar, visit } from '../helpers/sign-in.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const KINDS: StoreKind[] = ['memory', 'redis'];

function events(logs: TestApp['logs'], name: string): Array<Record<string, unknown>> {
  return logs.records().filter((line) => line.audit === true && line.event === name);
}

for (const kind of KINDS) {
  t.test(`refresh_reuse_detected names the user whose session was compromised (${kind} store)`, async (t) => {
    const { app, logs, clock } = await buildTestApp(t, { store: kind, redis, config: { refreshReuseGrace: 0 } });
    const tokens = await registerAndLogin(app, `reuse-${kind}`);
    t.equal((await refresh(app, tokens.refresh_token!)).status, 200);
    clock.advance(1);
    t.equal((await refresh(app, tokens.refresh_token!)).body.error, 'invalid_grant', 'the spent token comes back');
    const { sub, sid } = decodeJwt(tokens.access_token!);
    t.match(events(logs, 'refresh_reuse_detected'), [{ user_id: sub, client_id: 'web', sid }]);
  });
}

t.test('revoking a service token names no user: its subject is the client', async (t) => {
  const { app, logs } = await buildTestApp(t, { clients: SERVICE_CLIENTS });
  const token = await serviceToken(app);
  const body = form({ token });
  await app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    payload: body.payload,
    headers: { ...body.headers, authorization: basicAuth('orders-svc', SECRETS.orders) },
  });
  const [revoked] = events(logs, 'token_revoked');
  t.match(revoked, { token_type: 'access_token', client_id: 'orders-svc' });
  t.equal(revoked?.user_id, undefined, 'no client id passed off as a user id');
});

t.test('the retry of a registration writes no second user_registered, by the API or the page', async (t) => {
  const { app, logs } = await buildTestApp(t);
  const register = () => app.inject({ method: 'POST', url: '/account/register', payload: { username: 'retry-ann', password: 'long enough' } });
  const first = await register();
  const retried = await register();
  t.equal(first.statusCode, 201);
  t.equal(retried.statusCode, 201, 'the retry is answered as the registration');
  t.equal(retried.json().id, first.json().id, 'with the same user');
  t.equal(events(logs, 'user_registered').length, 1, 'one event for one account');

  const jar = new CookieJar();
  const page = await visit(app, jar, '/register');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const submit = async () => {
    const request = form({ username: 'retry-bo', password: 'long enough', csrf });
    return app.inject({ method: 'POST', url: '/register', payload: request.payload, headers: { ...request.headers, cookie: jar.header() } });
  };
  t.equal((await submit()).statusCode, 303);
  t.equal((await submit()).statusCode, 303, 'the page takes the retry too');
  t.equal(events(logs, 'user_registered').length, 2, 'one more event, for retry-bo, once');
});
