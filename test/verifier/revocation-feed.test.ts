import t from 'tap';
import { RevocationFeed } from '../../packages/verifier/src/revocation-feed.js';
import { eventually } from '../helpers/listen.js';

/** A feed whose event stream the test writes, on a clock the test moves. */
function feedWithStream(clock: () => number) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const feed = new RevocationFeed({
    url: 'http://127.0.0.1:9/never-fetched',
    clientId: 'gateway',
    clientSecret: 'not-a-real-secret',
    clock,
    fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
  });
  const send = (event: string, data: object | string) =>
    controller.enqueue(new TextEncoder().encode(`event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`));
  return { feed, send };
}

/** Waits until the feed has taken in what was sent (it reads the stream asynchronously); fails the test when it never does. */
async function until(condition: () => boolean): Promise<void> {
  if (!(await eventually(condition, 2000, 5))) throw new Error('the feed never took in what was sent');
}

t.test('the feed drops entries past their exp once a later event arrives, so a long-lived verifier does not grow without end', async (t) => {
  let now = 1_800_000_000_000;
  const seconds = () => Math.floor(now / 1000);
  const { feed, send } = feedWithStream(() => now);
  t.teardown(() => feed.close());
  for (let i = 0; i < 50; i++) send('revoked', { kind: 'jti', id: `old-${i}`, exp: seconds() + 30 });
  send('revoked', { kind: 'sid', id: 'long-lived', exp: seconds() + 3600 });
  send('ready', '{}');
  await feed.whenReady();
  t.equal(feed.size, 51);
  t.equal(feed.has('old-7', undefined), true);

  now += 61_000;
  t.equal(feed.has('old-7', undefined), false, 'expired entries no longer count, pruned or not');
  send('revoked', { kind: 'jti', id: 'new', exp: seconds() + 30 });
  await until(() => feed.has('new', undefined));
  t.equal(feed.size, 2, 'the 50 expired entries are gone; the live sid and the new jti stay');
  t.equal(feed.has('any', 'long-lived'), true);
});

t.test('the feed prunes at most once a minute: an event within the minute leaves expired entries for later', async (t) => {
  let now = 1_800_000_000_000;
  const seconds = () => Math.floor(now / 1000);
  const { feed, send } = feedWithStream(() => now);
  t.teardown(() => feed.close());
  send('revoked', { kind: 'jti', id: 'short', exp: seconds() + 5 });
  send('ready', '{}');
  await feed.whenReady();
  now += 10_000;
  send('revoked', { kind: 'jti', id: 'second', exp: seconds() + 30 });
  await until(() => feed.has('second', undefined));
  t.equal(feed.size, 2, 'pruned at the first event; the next prune is due a minute later');
  now += 60_000;
  send('revoked', { kind: 'jti', id: 'third', exp: seconds() + 30 });
  await until(() => feed.has('third', undefined));
  t.equal(feed.size, 1);
});
