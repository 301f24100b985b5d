import t from 'tap';
import { parseForm } from '../../src/http/form-body.js';
import { buildTestApp } from '../helpers/app.js';

t.test('decodes as the WHATWG urlencoded parser does: + is a space, percent-escapes are UTF-8', async (t) => {
  const body = 'grant_type=password&username=ann+lee&password=p%C3%A4ss%2Bword%26%3D&scope=a%20b';
  const parsed = parseForm(body);
  t.same({ ...parsed }, Object.fromEntries(new URLSearchParams(body)));
  t.same({ ...parsed }, { grant_type: 'password', username: 'ann lee', password: 'päss+word&=', scope: 'a b' });
});

t.test('an empty pair is skipped, a name without = has an empty value, and the result has no prototype', async (t) => {
  const parsed = parseForm('&a=1&&b&c=');
  t.same({ ...parsed }, { a: '1', b: '', c: '' });
  t.equal(Object.getPrototypeOf(parsed), null);
  t.same({ ...parseForm('') }, {});
});

t.test('a value may hold = (base64 padding, JWTs are not percent-encoded by every client)', async (t) => {
  t.equal(parseForm('token=abc==&x=1').token, 'abc==');
});

t.test('invalid_request, naming the parameter: a repeated parameter (RFC 6749 §3.2), a prototype key, bad percent-encoding', async (t) => {
  t.throws(() => parseForm('scope=a&scope=b'), { code: 'invalid_request', message: 'parameter repeated: scope' });
  t.throws(() => parseForm('a=1&a%3D=2&a=3'), { code: 'invalid_request', message: 'parameter repeated: a' });
  for (const key of ['__proto__', 'constructor', 'prototype', '__proto__%5Bx%5D', 'constructor.x']) {
    t.throws(() => parseForm(`${key}=1`), { code: 'invalid_request' }, key);
  }
  for (const bad of ['a=%', 'a=%zz', 'a=%C3', '%E0%A4%A=1']) {
    t.throws(() => parseForm(bad), { code: 'invalid_request', message: 'the form body has a malformed percent-encoding' }, bad);
  }
});

t.test('over HTTP, a malformed form body is a 400 invalid_request and nothing else happens', async (t) => {
  const { app } = await buildTestApp(t);
  const response = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=password&client_id=web&username=%zz&password=x',
  });
  t.equal(response.statusCode, 400);
  t.same(response.json(), { error: 'invalid_request', error_description: 'the form body has a malformed percent-encoding' });
  t.equal(response.headers['cache-control'], 'no-store');
});

t.test('schema length limits count UTF-16 code units (ajv unicode: false): an astral character counts twice', async (t) => {
  const { app } = await buildTestApp(t);
  const revoke = (hint: string) =>
    app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      headers: { 'content-type': 'application/json' },
      payload: { token: 'a'.repeat(43), token_type_hint: hint, client_id: 'web' },
    });
  t.equal((await revoke('a'.repeat(64))).statusCode, 200, 'at the limit of 64: an unknown token is revoked as a no-op (RFC 7009 §2.2)');
  t.equal((await revoke('a'.repeat(65))).statusCode, 400, 'over the limit');
  t.equal((await revoke('😀'.repeat(32))).statusCode, 200, '32 astral characters are 64 units');
  t.equal((await revoke('😀'.repeat(33))).statusCode, 400, '33 astral characters are 66 units');
});
