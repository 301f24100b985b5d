/**
 * CORS answers only the JSON endpoints meant for browser apps. On a page or a form target, an allowed origin's script
 * could otherwise read a signed-in person's name and CSRF token (GET /account) and post the forms that carry it.
 */
import type { RouteOptions } from 'fastify';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { registerAndLogin } from '../helpers/oauth.js';
import { authorizeUrl, CookieJar, pkce, REDIRECT, register, SIGN_IN_CLIENTS, signIn, visit } from '../helpers/sign-in.js';

const APP_ORIGIN = 'https://app.example';
const CLIENTS = [...SIGN_IN_CLIENTS, { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' }];

/** The routes that answer CORS: the list in docs/security.md, route by route. */
const BROWSER_APIS = [
  'DELETE /account/sessions/:sid',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/oauth-protected-resource',
  'GET /.well-known/oauth-protected-resource/*',
  'GET /.well-known/openid-configuration',
  'GET /account/me',
  'GET /account/sessions',
  'GET /userinfo',
  'POST /account/logout',
  'POST /account/logout-all',
  'POST /account/password',
  'POST /account/register',
  'POST /oauth/logout',
  'POST /oauth/revoke',
  'POST /oauth/token',
  'POST /userinfo',
];

function methods(route: RouteOptions): string[] {
  return ([] as string[]).concat(route.method).filter((method) => method !== 'HEAD');
}

function answersHtml(route: RouteOptions): boolean {
  return JSON.stringify(route.schema?.response ?? {}).includes('text/html');
}

t.test('the routes declared for browser apps are exactly the JSON endpoints, never a page or form target', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { allowedOrigins: [APP_ORIGIN] } });
  const withCors = app.routeCatalog.filter((route) => route.config?.cors === true);
  t.same(withCors.flatMap((route) => methods(route).map((method) => `${method} ${route.url}`)).sort(), BROWSER_APIS);
  t.same(
    withCors.filter(answersHtml).map((route) => route.url),
    [],
    'no CORS route answers HTML',
  );
  t.ok(app.routeCatalog.filter(answersHtml).length >= 12, 'the pages are in the catalog (the check above looked at them)');
});

t.test('an allowed origin gets no CORS header from a page or form target, even signed in', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { allowedOrigins: [APP_ORIGIN] } });
  await register(app, 'cors-nina');
  const jar = new CookieJar();
  t.equal((await signIn(app, jar, '/login', 'cors-nina')).statusCode, 303);
  const consentRequest = authorizeUrl({ client_id: 'wiki', redirect_uri: 'https://wiki.example/oidc', code_challenge: pkce().challenge, scope: 'openid' });
  const pages = ['/account', '/login', '/register', consentRequest, '/oauth/end-session?client_id=spa', '/assets/pages.css'];
  for (const url of pages) {
    const response = await app.inject({ method: 'GET', url, headers: { origin: APP_ORIGIN, cookie: jar.header() } });
    t.ok(response.statusCode < 500, `${url}: ${response.statusCode}`);
    t.equal(response.headers['access-control-allow-origin'], undefined, `GET ${url}: no Access-Control-Allow-Origin`);
    t.equal(response.headers['access-control-allow-credentials'], undefined, `GET ${url}: no Access-Control-Allow-Credentials`);
  }
  t.match((await visit(app, jar, '/account')).body, /name="csrf"/, 'the account page does hold a CSRF token (what CORS would expose)');
  const forms = [
    '/logout',
    '/login',
    '/register',
    '/oauth/authorize',
    '/oauth/end-session',
    '/account/end-session',
    '/account/withdraw-consent',
    '/account/change-password',
    '/account/end-other-sessions',
  ];
  for (const url of forms) {
    const post = await app.inject({
      method: 'POST',
      url,
      headers: { origin: APP_ORIGIN, cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'csrf=x',
    });
    t.equal(post.headers['access-control-allow-origin'], undefined, `POST ${url}: no Access-Control-Allow-Origin`);
    const preflight = await app.inject({ method: 'OPTIONS', url, headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' } });
    t.equal(preflight.headers['access-control-allow-origin'], undefined, `OPTIONS ${url}: no preflight answer`);
    t.not(preflight.statusCode, 204, `OPTIONS ${url} is not allowed`);
  }
});

t.test('the browser APIs still answer CORS to an allowed origin, and only to it', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS, config: { allowedOrigins: [APP_ORIGIN] } });
  const tokens = await registerAndLogin(app, 'cors-olga');
  const me = await app.inject({ method: 'GET', url: '/account/me', headers: { origin: APP_ORIGIN, authorization: `Bearer ${tokens.access_token}` } });
  t.equal(me.statusCode, 200);
  t.equal(me.headers['access-control-allow-origin'], APP_ORIGIN);
  t.equal(me.headers['access-control-allow-credentials'], 'true');
  t.equal(me.headers.vary, 'Origin');
  const foreign = await app.inject({
    method: 'GET',
    url: '/account/me',
    headers: { origin: 'https://evil.example', authorization: `Bearer ${tokens.access_token}` },
  });
  t.equal(foreign.headers['access-control-allow-origin'], undefined, 'a foreign origin gets none');
  for (const [url, method] of [
    ['/oauth/token', 'POST'],
    ['/account/sessions/abc', 'DELETE'],
    ['/userinfo', 'GET'],
  ] as const) {
    const preflight = await app.inject({ method: 'OPTIONS', url, headers: { origin: APP_ORIGIN, 'access-control-request-method': method } });
    t.equal(preflight.statusCode, 204, `OPTIONS ${url}`);
    t.equal(preflight.headers['access-control-allow-origin'], APP_ORIGIN);
  }
  const discovery = await app.inject({ method: 'GET', url: '/.well-known/openid-configuration', headers: { origin: APP_ORIGIN } });
  t.equal(discovery.headers['access-control-allow-origin'], APP_ORIGIN, 'discovery, which browser OpenID libraries read');
  const request = authorizeUrl({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: pkce().challenge });
  t.equal((await app.inject({ method: 'GET', url: request, headers: { origin: APP_ORIGIN } })).headers['access-control-allow-origin'], undefined);
});
