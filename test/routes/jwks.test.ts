import t from 'tap';
import { matchesEtag } from '../../src/routes/jwks.js';
import { buildTestApp } from '../helpers/app.js';

t.test('JWKS: public keys, cacheable, with an ETag that answers If-None-Match with 304', async (t) => {
  const { app, keyring, config } = await buildTestApp(t);
  const response = await app.inject({ url: '/.well-known/jwks.json' });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^application\/json/);
  t.equal(response.headers['cache-control'], `public, max-age=${config.jwksMaxAge}`);
  t.equal(response.body, keyring.jwks().body, 'the pre-serialized body, byte for byte');
  const etag = response.headers.etag as string;
  t.match(etag, /^"[A-Za-z0-9_-]+"$/);
  for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
    const cached = await app.inject({ url: '/.well-known/jwks.json', headers: { 'if-none-match': header } });
    t.equal(cached.statusCode, 304, `If-None-Match: ${header}`);
    t.equal(cached.body, '');
    t.equal(cached.headers.etag, etag);
  }
  const stale = await app.inject({ url: '/.well-known/jwks.json', headers: { 'if-none-match': '"stale"' } });
  t.equal(stale.statusCode, 200);
});

t.test('matchesEtag', async (t) => {
  t.equal(matchesEtag(undefined, '"a"'), false);
  t.equal(matchesEtag('"b"', '"a"'), false);
  t.equal(matchesEtag('"b" , W/"a"', '"a"'), true);
});
