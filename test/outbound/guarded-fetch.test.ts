import { createServer } from 'node:https';
import t from 'tap';
import { cacheMaxAge, guardedFetch, OutboundError } from '../../src/outbound/guarded-fetch.js';
import { freePort } from '../helpers/redis-server.js';
import { testCertificates } from '../helpers/tls.js';

// Every request in this file goes to loopback; the refusals are decided before any connection is made.
const certificates = await testCertificates(t);
const ca = certificates.caFile;
let connections = 0;
const requested: string[] = [];
const server = createServer({ key: certificates.key, cert: certificates.cert }, (request, response) => {
  requested.push(request.url ?? '');
  if (request.url === '/client.json') {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=120' });
    return response.end(JSON.stringify({ client_id: 'x' }));
  }
  if (request.url === '/redirect') return response.writeHead(302, { location: '/client.json' }).end();
  if (request.url === '/big') return response.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(10_000));
  if (request.url === '/slow') return; // never answers
  response.writeHead(404).end();
});
server.on('secureConnection', () => (connections += 1));
const port = await freePort();
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
t.teardown(() => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
});
const { readFile } = await import('node:fs/promises');
const caPem = await readFile(ca);
const allowed = { allowLoopback: true, maxBytes: 5000, timeoutMs: 1500, ca: caPem };
const strict = { ...allowed, allowLoopback: false };

t.test('loopback in every spelling is refused before a connection, unless development allows it', async (t) => {
  const before = connections;
  for (const host of ['127.0.0.1', 'localhost', '[::1]', '[::ffff:127.0.0.1]', '2130706433', '0x7f.1', '127.1', '[::ffff:7f00:1]']) {
    await t.rejects(guardedFetch(`https://${host}:${port}/client.json`, strict), OutboundError, host);
  }
  t.equal(connections, before, 'no connection was made');
  t.same((await guardedFetch(`https://127.0.0.1:${port}/client.json`, allowed)).body.toString(), '{"client_id":"x"}', 'allowed for development');
});

t.test('only https, without credentials, and no redirect, oversize body or endless wait', async (t) => {
  await t.rejects(guardedFetch(`http://127.0.0.1:${port}/client.json`, allowed), { message: 'only https URLs are fetched' });
  await t.rejects(guardedFetch(`https://u:p@127.0.0.1:${port}/client.json`, allowed), { message: /credentials/ });
  await t.rejects(guardedFetch('not a url', allowed), { message: 'not an absolute URL' });
  requested.length = 0;
  await t.rejects(guardedFetch(`https://127.0.0.1:${port}/redirect`, allowed), { message: /redirect, which is not followed/ });
  t.same(requested, ['/redirect'], 'the redirect target was never asked for');
  await t.rejects(guardedFetch(`https://127.0.0.1:${port}/missing`, allowed), { message: 'the URL answered 404' });
  await t.rejects(guardedFetch(`https://127.0.0.1:${port}/big`, allowed), { message: 'the document is longer than 5000 bytes' });
  const started = Date.now();
  await t.rejects(guardedFetch(`https://127.0.0.1:${port}/slow`, allowed), { message: 'no answer within 1500 ms' });
  t.ok(Date.now() - started < 5000, 'gave up in time');
});

t.test('what Cache-Control lets a cache keep (RFC 9111 §5.2.2)', async (t) => {
  const fetched = await guardedFetch(`https://127.0.0.1:${port}/client.json`, allowed);
  t.equal(fetched.maxAge, 120);
  t.equal(fetched.contentType, 'application/json');
  t.equal(cacheMaxAge('no-store'), 0);
  t.equal(cacheMaxAge('max-age=60, no-cache'), 0);
  t.equal(cacheMaxAge('Max-Age=30'), 30);
  t.equal(cacheMaxAge('max-age=abc'), undefined);
  t.equal(cacheMaxAge(undefined), undefined);
});
