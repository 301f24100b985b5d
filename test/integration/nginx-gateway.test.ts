import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import t from 'tap';
import { buildResourceService } from '../../examples/resource-service/app.js';
import { form } from '../helpers/app.js';
import { GATEWAY_CLIENTS, REPORTING_SECRET, SECRETS } from '../helpers/clients.js';
import { readFile } from 'node:fs/promises';
import { repoPath } from '../helpers/spawn.js';
import { eventually, listenOn, listenTestApp } from '../helpers/listen.js';
import { NGINX_TEMPLATE_VARIABLES, renderNginxTemplate, startNginx } from '../helpers/nginx.js';
import { registerAndLogin, serviceToken } from '../helpers/oauth.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { parseResources } from '../../src/resources/protected-resource.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('real nginx (auth_request to /forward-auth) in front of the example resource service', async (t) => {
  const listen = await freePort();
  // The API behind the gateway as a protected resource (RFC 9728): its metadata comes from tokensmith through the gateway.
  const resources = parseResources([{ resource: `http://127.0.0.1:${listen}/api`, name: 'Orders', scopes: ['orders:read', 'orders:write'] }]);
  const auth = await listenTestApp(t, { store: 'redis', redis, clients: GATEWAY_CLIENTS, config: { resources } });
  const api = await listenOn(t, await buildResourceService({ issuer: auth.base, audience: 'api' }));
  const nginx = await startNginx(t, { listen, auth: auth.base.slice('http://'.length), api: api.slice('http://'.length) });
  const get = (path: string, token?: string) => fetch(`${nginx}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const login = await registerAndLogin(auth.app, 'gateway-user');

  const metadata = await get('/.well-known/oauth-protected-resource/api');
  t.equal(metadata.status, 200, 'the metadata path reaches tokensmith');
  t.match(await metadata.json(), { resource: `http://127.0.0.1:${listen}/api`, authorization_servers: [auth.base], resource_name: 'Orders' });
  t.equal((await get('/.well-known/oauth-protected-resource/other')).status, 404);

  const anonymous = await get('/api/orders');
  t.equal(anonymous.status, 401, 'no token: 401');
  t.match(anonymous.headers.get('www-authenticate'), /^Bearer realm="tokensmith"/, 'the challenge reaches the client');

  const allowed = await get('/api/orders', login.access_token);
  t.equal(allowed.status, 200, 'valid token: 200');
  const body = (await allowed.json()) as Record<string, unknown>;
  t.equal(body.gateway_subject, decodeJwt(login.access_token!).sub, 'X-Auth-Subject passed upstream by nginx');
  t.equal(body.subject, decodeJwt(login.access_token!).sub, 'and the service verified the token itself');

  const forged = await fetch(`${nginx}/api/orders`, { headers: { authorization: `Bearer ${login.access_token}`, 'x-auth-subject': 'admin' } });
  t.equal(((await forged.json()) as Record<string, unknown>).gateway_subject, decodeJwt(login.access_token!).sub, 'a client-sent X-Auth-Subject is replaced');

  const admin = await get('/api/admin/orders', login.access_token);
  t.equal(admin.status, 403, 'insufficient scope: 403');

  let connections = 0;
  auth.app.server.on('connection', () => (connections += 1));
  for (let i = 0; i < 20; i += 1) t.equal((await get('/api/orders', login.access_token)).status, 200);
  t.ok(connections <= 2, `20 checks opened ${connections} connection(s) to the auth service: nginx keeps them alive`);

  const reporting = await serviceToken(auth.app, 'reporting', REPORTING_SECRET);
  const forgedSession = await fetch(`${nginx}/api/orders`, {
    headers: { authorization: `Bearer ${reporting}`, 'x-auth-session': 'a-session-of-someone-else', 'x-auth-subject': 'admin' },
  });
  t.equal(forgedSession.status, 200, 'a service token for this API');
  t.match(
    await forgedSession.json(),
    { gateway_subject: 'reporting', gateway_session: null },
    'a client-sent X-Auth-Session does not reach the API beside a token without a session',
  );
  const otherAudience = await get('/api/orders', await serviceToken(auth.app, 'orders-svc', SECRETS.orders));
  t.equal(otherAudience.status, 401, 'a valid token for another API (aud=orders-api): 401, though its scope would do');
  t.match(otherAudience.headers.get('www-authenticate'), /error="invalid_token"/);

  await auth.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: login.access_token!, client_id: 'web' }) });
  const revokedAt = Date.now();
  t.ok(await eventually(async () => (await get('/api/orders', login.access_token)).status === 401, 1000), 'revoked token: 401 within a second');
  t.comment(`refused by nginx after ${Date.now() - revokedAt} ms`);

  await auth.app.close();
  const outage = await get('/api/orders', reporting);
  t.equal(outage.status, 503, 'the auth service stopped: 503, not 500 or 403');
  t.equal(outage.headers.get('retry-after'), '5');
  t.match(outage.headers.get('content-type'), /^application\/json/);
  t.same(await outage.json(), { error: 'temporarily_unavailable', error_description: 'the auth service is unavailable; retry later' });
});

t.test('through real nginx, a DPoP-bound token passes with its proof and is refused without it', async (t) => {
  const listen = await freePort();
  const auth = await listenTestApp(t, { store: 'redis', redis, clients: GATEWAY_CLIENTS });
  const gateway = `http://127.0.0.1:${listen}`;
  const api = await listenOn(t, await buildResourceService({ issuer: auth.base, audience: 'api', publicUrl: gateway }));
  await startNginx(t, { listen, auth: auth.base.slice('http://'.length), api: api.slice('http://'.length) });
  const reporting = await oidc.discovery(new URL(auth.base), 'reporting', REPORTING_SECRET, undefined, { execute: [oidc.allowInsecureRequests] });
  const DPoP = oidc.getDPoPHandle(reporting, await oidc.randomDPoPKeyPair('ES256'));
  const { access_token: token } = await oidc.clientCredentialsGrant(reporting, { scope: 'orders:read' }, { DPoP });
  const url = new URL(`${gateway}/api/orders?page=1`);

  const allowed = await oidc.fetchProtectedResource(reporting, token, url, 'GET', undefined, undefined, { DPoP });
  t.equal(allowed.status, 200, 'forward-auth rebuilt the URL from what nginx passed, and the API checked the proof too');
  t.match(await allowed.json(), { gateway_subject: 'reporting', subject: 'reporting' });

  const stolen = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  t.equal(stolen.status, 401, 'the bound token as a bearer token stops at the gateway');
  t.match(stolen.headers.get('www-authenticate'), /^Bearer realm="tokensmith", error="invalid_token"/);

  // A proof as it travelled, read off the wire by a fetch that watches what openid-client sends.
  const calls: string[] = [];
  const sniffing = await oidc.discovery(new URL(auth.base), 'reporting', REPORTING_SECRET, undefined, { execute: [oidc.allowInsecureRequests] });
  sniffing[oidc.customFetch] = (input, init) => {
    const headers = new Headers(init?.headers);
    if (headers.has('dpop')) calls.push(headers.get('dpop')!);
    return fetch(input, init);
  };
  const sniffedDPoP = oidc.getDPoPHandle(sniffing, await oidc.randomDPoPKeyPair('ES256'));
  const sniffed = (await oidc.clientCredentialsGrant(sniffing, { scope: 'orders:read' }, { DPoP: sniffedDPoP })).access_token;
  t.equal((await oidc.fetchProtectedResource(sniffing, sniffed, url, 'GET', undefined, undefined, { DPoP: sniffedDPoP })).status, 200);
  const proof = calls.at(-1)!;
  const replayed = await fetch(url, { headers: { authorization: `DPoP ${sniffed}`, dpop: proof } });
  t.equal(replayed.status, 401, 'a proof replayed through the gateway');
  t.match(replayed.headers.get('www-authenticate'), /^DPoP .*error="invalid_dpop_proof"/);
  const elsewhere = await fetch(`${gateway}/api/admin/orders`, { headers: { authorization: `DPoP ${sniffed}`, dpop: proof } });
  t.equal(elsewhere.status, 401, 'or sent to another path');
});

t.test('the template renders with the documented envsubst list; a plain envsubst would blank nginx variables', async (t) => {
  const template = await readFile(repoPath('examples/nginx/tokensmith.conf.template'), 'utf8');
  t.match(template, `envsubst '${NGINX_TEMPLATE_VARIABLES}'`, 'the header gives the list this test renders with');
  const upstreams = { listen: 8080, auth: 'tokensmith:3000', api: 'orders:4000' };
  const rendered = renderNginxTemplate(template, upstreams);
  t.match(rendered, 'proxy_set_header X-Original-URI $request_uri;');
  t.match(rendered, 'server tokensmith:3000;');
  t.notMatch(rendered.replace(/^#.*$/gm, ''), /\$\{/, 'every placeholder is filled');
  const plain = renderNginxTemplate(template, upstreams, '');
  t.match(plain, 'proxy_set_header X-Original-URI ;', 'why the list matters');
});
