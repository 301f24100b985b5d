import Fastify from 'fastify';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { buildTestApp, form, tempDir, type TestAppOptions } from '../helpers/app.js';
import { startApacheResourceServer } from '../helpers/apache.js';
import { GATEWAY_CLIENTS, REPORTING_SECRET, SECRETS } from '../helpers/clients.js';
import { listenOn } from '../helpers/listen.js';
import { testCertificates, tlsFront } from '../helpers/tls.js';
import { registerAndLogin, serviceToken } from '../helpers/oauth.js';
import { freePort, startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

/**
 * The service behind a TLS front (mod_auth_openidc fetches the JWKS only over https, so ISSUER is the front's address,
 * as in production), an upstream that verifies nothing and echoes the headers it got (whatever is refused, Apache
 * refused), and Apache with the example in front of it.
 */
async function apacheInFront(t: Test, options: Pick<TestAppOptions, 'config' | 'shared'> = {}) {
  const certificates = await testCertificates(t);
  const authPort = await freePort();
  const issuer = await tlsFront(t, certificates, `http://127.0.0.1:${authPort}`);
  const auth = await buildTestApp(t, { ...options, store: 'redis', redis, clients: GATEWAY_CLIENTS, config: { ...options.config, issuer } });
  await auth.app.listen({ port: authPort, host: '127.0.0.1' });
  const echo = Fastify();
  echo.get('/api/*', async (request) => ({ headers: request.headers }));
  const api = await listenOn(t, echo);
  const startApache = async () =>
    startApacheResourceServer(t, { port: await freePort(), issuer, api: api.slice('http://'.length), caBundle: certificates.caFile });
  const apache = await startApache();
  const get = (token?: string, headers: Record<string, string> = {}) =>
    fetch(`${apache}/api/orders`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  return { auth, startApache, get };
}

t.test('real Apache httpd with mod_auth_openidc as a resource server (examples/apache): iss, aud and typ required', async (t) => {
  const { auth, startApache, get } = await apacheInFront(t);
  const seen = async (response: Response) => ((await response.json()) as { headers: Record<string, string | undefined> }).headers;
  const signed = (claims: Record<string, unknown>, typ: string) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ, kid: auth.keyring.signingKey()!.kid }).sign(auth.keyring.signingKey()!.privateKey);

  const anonymous = await get();
  t.equal(anonymous.status, 401, 'no token: 401');
  t.match(anonymous.headers.get('www-authenticate'), /^Bearer/);

  const login = await registerAndLogin(auth.app, 'apache-user');
  const claims = decodeJwt(login.access_token!);
  const allowed = await get(login.access_token, { 'x-auth-subject': 'admin', 'x-auth-session': 'forged' });
  t.equal(allowed.status, 200, 'a valid access token for this API: 200');
  t.match(
    await seen(allowed),
    { 'x-auth-subject': claims.sub, 'x-auth-client-id': 'web', 'x-auth-session': claims.sid },
    "the token's caller, never the client's own headers",
  );

  const reporting = await get(await serviceToken(auth.app, 'reporting', REPORTING_SECRET), { 'x-auth-session': 'a-session-of-someone-else' });
  t.equal(reporting.status, 200, 'a service token for this API');
  t.match(await seen(reporting), { 'x-auth-subject': 'reporting' });
  t.notOk(
    (await seen(await get(await serviceToken(auth.app, 'reporting', REPORTING_SECRET), { 'x-auth-session': 'forged' })))['x-auth-session'],
    'no forged X-Auth-Session beside a token without a session',
  );

  t.not((await get(await serviceToken(auth.app, 'orders-svc', SECRETS.orders))).status, 200, 'a valid token for another API (aud=orders-api) is refused');
  const accessClaims = { ...claims, jti: `${String(claims.jti)}-x` };
  t.equal((await get(await signed(accessClaims, 'at+jwt'))).status, 200, 'the control: the same claims, signed as an access token');
  t.not((await get(await signed(accessClaims, 'JWT'))).status, 200, 'a JWT of the same keys that is no access token (typ JWT) is refused');
  t.not((await get(await signed({ ...accessClaims, iss: 'https://evil.example' }, 'at+jwt'))).status, 200, 'another issuer is refused');
  t.not((await get(await signed({ ...accessClaims, scope: 'profile' }, 'at+jwt'))).status, 200, 'without orders:read it is refused');

  await auth.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: login.access_token!, client_id: 'web' }) });
  t.equal(
    (await get(login.access_token)).status,
    200,
    'a revoked token still passes: verifying from the JWKS alone cannot see revocation (docs/guides/verifying-tokens.md says so)',
  );

  await auth.app.close();
  t.equal(
    (await get(await serviceToken(auth.app, 'reporting', REPORTING_SECRET).catch(() => login.access_token!))).status,
    200,
    'with the service stopped, keys already fetched keep verifying',
  );
  // mod_auth_openidc 2.4.12 answers keys it cannot fetch as it answers a bad signature (src/metadata.c,
  // oidc_metadata_jwks_get): an Apache that starts during the outage refuses with 401, not 503 (docs/guides/verifying-tokens.md says so).
  const cold = await startApache();
  const coldAnswer = await fetch(`${cold}/api/orders`, { headers: { authorization: `Bearer ${login.access_token!}` } });
  t.equal(coldAnswer.status, 401, 'an Apache that has never fetched the keys, with the service stopped: 401');
  t.match(coldAnswer.headers.get('www-authenticate'), /error="invalid_token"/);
});

t.test('the Apache example verifies ES256 access tokens too (SIGNING_ALG=ES256), and still requires the access-token typ', async (t) => {
  const { auth, get } = await apacheInFront(t, { config: { signingAlg: 'ES256' }, shared: { prefix: 'apache-es256:', keysDir: await tempDir(t) } });

  const login = await registerAndLogin(auth.app, 'apache-ec-user');
  t.equal(decodeProtectedHeader(login.access_token!).alg, 'ES256');
  const allowed = await get(login.access_token!);
  t.equal(allowed.status, 200, `an ES256 access token for this API: 200 (${allowed.status}, ${allowed.headers.get('www-authenticate')})`);
  t.equal(((await allowed.json()) as { headers: Record<string, string> }).headers['x-auth-subject'], decodeJwt(login.access_token!).sub);
  const key = auth.keyring.signingKey()!;
  const notAnAccessToken = await new SignJWT({ ...decodeJwt(login.access_token!), jti: 'other' })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid })
    .sign(key.privateKey);
  t.not((await get(notAnAccessToken)).status, 200, 'an ES256 JWT of the same key that is no access token is refused');
});
