import { decodeJwt } from 'jose';
import t from 'tap';
import { buildTestApp, form, type StoreKind } from '../helpers/app.js';
import { startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const APP_ORIGIN = 'https://app.example.com';
const CLIENTS = [
  { client_id: 'spa', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile', refresh_token_delivery: 'cookie' },
  { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' },
];

/** The cookie value and attributes of a Set-Cookie header. */
function parseSetCookie(header: unknown): { name: string; value: string; attributes: Record<string, string | true> } {
  const line = Array.isArray(header) ? String(header[0]) : String(header);
  const [pair, ...rest] = line.split(';').map((part) => part.trim());
  const [name, value] = pair!.split('=') as [string, string];
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const [key, val] = part.split('=');
    attributes[key!.toLowerCase()] = val ?? true;
  }
  return { name, value, attributes };
}

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`cookie delivery for browser clients (${kind} store)`, async (t) => {
    const { app, config, clock } = await buildTestApp(t, { store: kind, redis, clients: CLIENTS, config: { allowedOrigins: [APP_ORIGIN] } });
    await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'cookie-user', password: 'long enough' } });
    const token = (params: Record<string, string>, headers: Record<string, string> = {}) => {
      const request = form(params);
      return app.inject({ method: 'POST', url: '/oauth/token', payload: request.payload, headers: { ...request.headers, ...headers } });
    };
    const login = () => token({ grant_type: 'password', username: 'cookie-user', password: 'long enough', client_id: 'spa' }, { origin: APP_ORIGIN });
    const refreshWithCookie = (cookie: string, headers: Record<string, string> = { origin: APP_ORIGIN }) =>
      token({ grant_type: 'refresh_token', client_id: 'spa' }, { cookie: `__Secure-refresh_token=${cookie}`, ...headers });

    t.test('login: the refresh token is an HttpOnly, Secure, SameSite=Strict cookie on /oauth, not in the body', async (t) => {
      const response = await login();
      t.equal(response.statusCode, 200);
      t.equal(response.json().refresh_token, undefined);
      t.ok(response.json().access_token);
      const cookie = parseSetCookie(response.headers['set-cookie']);
      t.equal(cookie.name, '__Secure-refresh_token');
      t.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
      t.equal(cookie.attributes.httponly, true);
      t.equal(cookie.attributes.secure, true);
      t.equal(cookie.attributes.samesite, 'Strict');
      t.equal(cookie.attributes.path, '/oauth');
      t.equal(Number(cookie.attributes['max-age']), config.refreshTokenTtl, "no longer than the session's remaining absolute lifetime");
      t.equal(response.headers['access-control-allow-origin'], APP_ORIGIN);
      t.equal(response.headers['access-control-allow-credentials'], 'true');
      t.match(response.headers.vary, /Origin/);
    });

    t.test('refresh with the cookie alone from an allowed origin rotates the cookie', async (t) => {
      const first = parseSetCookie((await login()).headers['set-cookie']);
      clock.advance(100);
      const refreshed = await refreshWithCookie(first.value);
      t.equal(refreshed.statusCode, 200);
      t.equal(refreshed.json().refresh_token, undefined);
      const second = parseSetCookie(refreshed.headers['set-cookie']);
      t.not(second.value, first.value);
      t.equal(Number(second.attributes['max-age']), config.refreshTokenTtl - 100, 'Max-Age counts down with the absolute lifetime');
    });

    for (const [name, headers] of [
      ['a foreign Origin', { origin: 'https://evil.example' }],
      ['no Origin at all', {}],
      ['Sec-Fetch-Site: cross-site', { origin: APP_ORIGIN, 'sec-fetch-site': 'cross-site' }],
    ] as Array<[string, Record<string, string>]>) {
      t.test(`refresh with the cookie and ${name}: 403, and nothing changes`, async (t) => {
        const cookie = parseSetCookie((await login()).headers['set-cookie']);
        const refused = await refreshWithCookie(cookie.value, headers);
        t.equal(refused.statusCode, 403);
        t.equal(refused.json().error, 'access_denied');
        t.equal(refused.headers['set-cookie'], undefined);
        t.equal(refused.headers['access-control-allow-origin'], headers.origin === APP_ORIGIN ? APP_ORIGIN : undefined, 'no CORS headers for a foreign origin');
        t.equal((await refreshWithCookie(cookie.value)).statusCode, 200, 'the cookie was not spent');
      });
    }

    t.test('a refresh token in both cookie and body with different values is invalid_request', async (t) => {
      const cookie = parseSetCookie((await login()).headers['set-cookie']);
      const both = await token(
        { grant_type: 'refresh_token', client_id: 'spa', refresh_token: 'other-value' },
        { cookie: `__Secure-refresh_token=${cookie.value}`, origin: APP_ORIGIN },
      );
      t.equal(both.statusCode, 400);
      t.equal(both.json().error, 'invalid_request');
      const same = await token(
        { grant_type: 'refresh_token', client_id: 'spa', refresh_token: cookie.value },
        { cookie: `__Secure-refresh_token=${cookie.value}`, origin: APP_ORIGIN },
      );
      t.equal(same.statusCode, 200, 'the same value in both is fine');
    });

    t.test("a cookie client's login from a foreign origin is refused", async (t) => {
      const response = await token(
        { grant_type: 'password', username: 'cookie-user', password: 'long enough', client_id: 'spa' },
        { origin: 'https://evil.example' },
      );
      t.equal(response.statusCode, 403);
    });

    t.test("POST /account/logout clears the cookie of a cookie client's session", async (t) => {
      const response = await login();
      const cookie = parseSetCookie(response.headers['set-cookie']);
      const logout = await app.inject({
        method: 'POST',
        url: '/account/logout',
        headers: { authorization: `Bearer ${response.json().access_token}`, origin: APP_ORIGIN },
      });
      t.equal(logout.statusCode, 204);
      const cleared = parseSetCookie(logout.headers['set-cookie']);
      t.equal(cleared.name, '__Secure-refresh_token');
      t.equal(cleared.value, '');
      t.equal(cleared.attributes.path, '/oauth');
      t.equal(Number(cleared.attributes['max-age']), 0);
      t.equal((await refreshWithCookie(cookie.value)).statusCode, 400, 'the session is over');
    });

    t.test('POST /oauth/logout with the cookie ends the session and clears the cookie; a foreign origin cannot', async (t) => {
      const response = await login();
      const cookie = parseSetCookie(response.headers['set-cookie']);
      const logout = (headers: Record<string, string>) =>
        app.inject({
          method: 'POST',
          url: '/oauth/logout',
          ...form({ client_id: 'spa' }),
          headers: { ...form({}).headers, cookie: `__Secure-refresh_token=${cookie.value}`, ...headers },
        });
      t.equal((await logout({ origin: 'https://evil.example' })).statusCode, 403);
      t.equal((await refreshWithCookie(cookie.value)).statusCode, 200, 'a refused logout changes nothing');
      const rotated = parseSetCookie((await refreshWithCookie(cookie.value)).headers['set-cookie']);
      const done = await app.inject({
        method: 'POST',
        url: '/oauth/logout',
        ...form({ client_id: 'spa' }),
        headers: { ...form({}).headers, cookie: `__Secure-refresh_token=${rotated.value}`, origin: APP_ORIGIN },
      });
      t.equal(done.statusCode, 204);
      t.equal(parseSetCookie(done.headers['set-cookie']).value, '');
      t.equal((await refreshWithCookie(rotated.value)).statusCode, 400);
      t.equal(
        (await app.inject({ url: '/account/me', headers: { authorization: `Bearer ${response.json().access_token}` } })).statusCode,
        401,
        'its access tokens are refused',
      );
    });

    t.test('POST /oauth/logout for a body client takes the refresh token in the body; unknown tokens answer 204', async (t) => {
      const response = await token({ grant_type: 'password', username: 'cookie-user', password: 'long enough', client_id: 'web' });
      const refreshToken = response.json().refresh_token as string;
      const unknown = await app.inject({ method: 'POST', url: '/oauth/logout', ...form({ client_id: 'web', refresh_token: 'nope' }) });
      t.equal(unknown.statusCode, 204);
      const other = await app.inject({ method: 'POST', url: '/oauth/logout', ...form({ client_id: 'spa', refresh_token: refreshToken }) });
      t.equal(other.statusCode, 204);
      t.equal((await token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'web' })).statusCode, 200, 'another client cannot end it');
      const mine = await app.inject({ method: 'POST', url: '/oauth/logout', ...form({ client_id: 'web', refresh_token: refreshToken }) });
      t.equal(mine.statusCode, 204);
      t.equal(await app.inject({ url: '/account/me', headers: { authorization: `Bearer ${response.json().access_token}` } }).then((r) => r.statusCode), 401);
      t.equal(decodeJwt(response.json().access_token).client_id, 'web');
    });

    t.test('CORS: preflight for an allowed origin; nothing for a foreign one; never * with credentials', async (t) => {
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/oauth/token',
        headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      t.equal(preflight.statusCode, 204);
      t.equal(preflight.headers['access-control-allow-origin'], APP_ORIGIN);
      t.equal(preflight.headers['access-control-allow-credentials'], 'true');
      t.match(preflight.headers['access-control-allow-methods'], /POST/);
      t.match(preflight.headers['access-control-allow-headers'], /content-type/);
      const foreign = await app.inject({
        method: 'OPTIONS',
        url: '/oauth/token',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      t.notOk(
        Object.keys(foreign.headers).some((header) => header.startsWith('access-control-')),
        'no CORS header at all',
      );
      const jwks = await app.inject({ url: '/.well-known/jwks.json', headers: { origin: APP_ORIGIN } });
      t.equal(jwks.headers['access-control-allow-origin'], APP_ORIGIN);
      t.not(jwks.headers['access-control-allow-origin'], '*');
    });
  });
}

t.test('COOKIE_SECURE=false (plain-http development): no Secure attribute and no __Secure- prefix', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { allowedOrigins: ['http://localhost:5173'], cookieSecure: false } });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'dev-user', password: 'long enough' } });
  const response = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'password', username: 'dev-user', password: 'long enough', client_id: 'spa' }),
  });
  const cookie = parseSetCookie(response.headers['set-cookie']);
  t.equal(cookie.name, 'refresh_token');
  t.equal(cookie.attributes.secure, undefined);
  t.equal(cookie.attributes.httponly, true);
});
