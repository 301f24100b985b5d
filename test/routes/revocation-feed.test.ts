import { decodeJwt } from 'jose';
import t from 'tap';
import { readEvents, type ServerSentEvent } from '../../packages/verifier/src/sse.js';
import { form, type StoreKind } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually, listenTestApp } from '../helpers/listen.js';
import { registerAndLogin } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

/** Opens the feed and collects its events until aborted. */
async function subscribe(base: string, authorization: string) {
  const abort = new AbortController();
  const response = await fetch(`${base}/oauth/revocations`, { headers: { authorization }, signal: abort.signal });
  const events: ServerSentEvent[] = [];
  const done = (async () => {
    try {
      for await (const event of readEvents(response.body!)) events.push(event);
    } catch {
      // aborted
    }
  })();
  return {
    response,
    events,
    done,
    close: async () => {
      abort.abort();
      await done;
    },
  };
}

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`GET /oauth/revocations (${kind} store)`, async (t) => {
    const { app, base } = await listenTestApp(t, { store: kind, redis, clients: SERVICE_CLIENTS });
    const gateway = basicAuth('gateway', SECRETS.gateway);

    t.test('only confidential clients with the introspect scope may subscribe', async (t) => {
      const anonymous = await fetch(`${base}/oauth/revocations`);
      t.equal(anonymous.status, 401);
      const noScope = await fetch(`${base}/oauth/revocations`, { headers: { authorization: basicAuth('orders-svc', SECRETS.orders) } });
      t.equal(noScope.status, 403);
      t.equal(((await noScope.json()) as { error: string }).error, 'insufficient_scope');
      const wrong = await fetch(`${base}/oauth/revocations`, { headers: { authorization: basicAuth('gateway', 'wrong') } });
      t.equal(wrong.status, 401);
    });

    t.test('the current list first, then ready, then each new revocation as it happens', async (t) => {
      const before = await registerAndLogin(app, 'feed-a');
      await app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: before.access_token!, client_id: 'web' }) });
      const feed = await subscribe(base, gateway);
      t.teardown(feed.close);
      t.equal(feed.response.status, 200);
      t.match(feed.response.headers.get('content-type'), /^text\/event-stream/);
      t.ok(await eventually(() => feed.events.some((e) => e.event === 'ready')), 'ready arrives');
      const readyAt = feed.events.findIndex((e) => e.event === 'ready');
      const snapshot = feed.events
        .slice(0, readyAt)
        .filter((e) => e.event === 'revoked')
        .map((e) => JSON.parse(e.data));
      t.ok(
        snapshot.some((entry) => entry.kind === 'jti' && entry.id === decodeJwt(before.access_token!).jti),
        'an earlier revocation is in the snapshot',
      );
      const after = await registerAndLogin(app, 'feed-b');
      const started = Date.now();
      await app.inject({ method: 'POST', url: '/account/logout', headers: { authorization: `Bearer ${after.access_token}` } });
      const sid = decodeJwt(after.access_token!).sid;
      t.ok(
        await eventually(() => feed.events.some((e) => e.event === 'revoked' && JSON.parse(e.data).id === sid), 1000),
        'the new sid arrives within a second',
      );
      t.comment(`delivered in ${Date.now() - started} ms`);
      const entry = JSON.parse(feed.events.find((e) => e.event === 'revoked' && JSON.parse(e.data).id === sid)!.data);
      t.same(Object.keys(entry).sort(), ['exp', 'id', 'kind']);
      t.equal(entry.kind, 'sid');
    });
  });
}

t.test('a revocation on one instance reaches the feed of another', async (t) => {
  const prefix = redis.prefix();
  const shared = { ...redis, prefix: () => prefix };
  const a = await listenTestApp(t, { store: 'redis', redis: shared, clients: SERVICE_CLIENTS });
  const b = await listenTestApp(t, { store: 'redis', redis: shared, clients: SERVICE_CLIENTS });
  const feed = await subscribe(a.base, basicAuth('gateway', SECRETS.gateway));
  t.teardown(feed.close);
  t.ok(await eventually(() => feed.events.some((e) => e.event === 'ready')));
  const login = await registerAndLogin(b.app, 'feed-c');
  await b.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: login.access_token!, client_id: 'web' }) });
  const jti = decodeJwt(login.access_token!).jti;
  t.ok(
    await eventually(() => feed.events.some((e) => e.event === 'revoked' && JSON.parse(e.data).id === jti), 1000),
    'revoked on B, announced by A within a second',
  );
});

t.test('the stream ends when the instance stops receiving revocations, and the route answers 503 until it does again', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.close());
  const { base } = await listenTestApp(t, { store: 'redis', redis: own, clients: SERVICE_CLIENTS });
  const feed = await subscribe(base, basicAuth('gateway', SECRETS.gateway));
  t.teardown(feed.close);
  t.ok(await eventually(() => feed.events.some((e) => e.event === 'ready')));
  await own.stop();
  const ended = await Promise.race([feed.done.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000))]);
  t.ok(ended, 'the server ended the stream by itself');
  t.ok(
    await eventually(
      async () => (await fetch(`${base}/oauth/revocations`, { headers: { authorization: basicAuth('gateway', SECRETS.gateway) } })).status === 503,
      3000,
    ),
    '503 while Redis is down',
  );
  await own.restart();
  t.ok(
    await eventually(
      async () => {
        const abort = new AbortController();
        const response = await fetch(`${base}/oauth/revocations`, { headers: { authorization: basicAuth('gateway', SECRETS.gateway) }, signal: abort.signal });
        abort.abort();
        return response.status === 200;
      },
      10_000,
      200,
    ),
    'available again once Redis is back',
  );
});
