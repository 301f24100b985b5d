/**
 * An auth outage is not an invalid token: when the issuer cannot be reached (stopped, hanging, answering 500)
 * and the verifier needs its keys, it says temporarily_unavailable, and the Fastify plugin answers 503 with
 * Retry-After, so that no client drops its tokens and sends its users to log in again.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import t from 'tap';
import { createVerifier, VerifierError } from '@tokensmith/verifier';
import { fastifyVerifier } from '@tokensmith/verifier/fastify';
import type { TestApp } from '../helpers/app.js';
import { SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { registerAndLogin } from '../helpers/oauth.js';

type Mode = 'up' | 'hang' | '500';

/**
 * The issuer as verifiers see it: a loopback server in front of the test app that answers normally, hangs, or
 * answers 500; stop() closes it, so connections are refused.
 */
async function issuerFront(
  t: { teardown(fn: () => unknown): void },
  app: TestApp['app'],
): Promise<{ base: string; setMode(mode: Mode): void; stop(): Promise<void> }> {
  let mode: Mode = 'up';
  const server: Server = createServer((request, response) => {
    if (mode === 'hang') return;
    if (mode === '500') return void response.writeHead(500).end('{"error":"server_error"}');
    void app.inject({ method: 'GET', url: request.url ?? '/' }).then((answer) => {
      response.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json') }).end(answer.rawPayload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  t.teardown(() => (server.listening ? stop() : undefined));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, setMode: (next) => void (mode = next), stop };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof VerifierError ? error.code : `unexpected ${(error as Error).name}`;
  }
}

t.test('an unreachable issuer is temporarily_unavailable, never invalid_token', async (t) => {
  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const login = await registerAndLogin(auth.app, 'outage');
  const front = await issuerFront(t, auth.app);
  // The verifier knows the issuer by the name in its tokens, and fetches keys from the front.
  const verifierOf = () =>
    createVerifier({
      issuer: auth.base,
      audience: 'api',
      jwksUrl: `${front.base}/.well-known/jwks.json`,
      timeout: 300,
      jwks: { cooldownDuration: 0, cacheMaxAge: 50 },
    });

  for (const mode of ['hang', '500'] as const) {
    front.setMode(mode);
    const cold = verifierOf();
    const started = Date.now();
    t.equal(await refusal(cold.verify(login.access_token!)), 'temporarily_unavailable', `cold start, issuer ${mode === 'hang' ? 'hanging' : 'answering 500'}`);
    t.ok(Date.now() - started < 2000, 'a hanging issuer costs the timeout, not forever');
  }

  front.setMode('up');
  const warm = verifierOf();
  t.equal(await refusal(warm.verify(login.access_token!)), 'accepted', 'keys fetched while the issuer is up');
  await front.stop();
  t.equal(await refusal(warm.verify(login.access_token!)), 'accepted', 'keys already fetched keep verifying past cacheMaxAge while the issuer is down');
  const unknownKid = await new SignJWT({ client_id: 'web' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'a-key-not-fetched-yet' })
    .setIssuer(auth.base)
    .setSubject('s')
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti('j')
    .sign(auth.keyring.signingKey()!.privateKey);
  t.equal(await refusal(warm.verify(unknownKid)), 'temporarily_unavailable', 'a kid that needs the JWKS while the issuer is stopped');
  t.equal(await refusal(verifierOf().verify(login.access_token!)), 'temporarily_unavailable', 'cold start, issuer stopped (connection refused)');
  t.equal(await refusal(warm.verify('a.b.c')), 'invalid_token', 'a malformed token is still a verdict');
});

t.test('discovery through an unreachable issuer is temporarily_unavailable too', async (t) => {
  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const login = await registerAndLogin(auth.app, 'outage-d');
  const front = await issuerFront(t, auth.app);
  // An issuer named by the front itself, so that discovery goes there (the token's iss will not match, which is not reached).
  for (const mode of ['hang', '500'] as const) {
    front.setMode(mode);
    t.equal(await refusal(createVerifier({ issuer: front.base, audience: 'api', timeout: 300 }).verify(login.access_token!)), 'temporarily_unavailable', mode);
  }
  await front.stop();
  t.equal(
    await refusal(createVerifier({ issuer: front.base, audience: 'api', timeout: 300 }).verify(login.access_token!)),
    'temporarily_unavailable',
    'stopped',
  );
});

t.test('the Fastify plugin answers 503 with Retry-After during an outage, for the keys and for a required revocation feed', async (t) => {
  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const login = await registerAndLogin(auth.app, 'outage-p');
  const front = await issuerFront(t, auth.app);
  front.setMode('500');
  const api = Fastify();
  t.teardown(() => api.close());
  const keysDown = createVerifier({ issuer: auth.base, audience: 'api', jwksUrl: `${front.base}/.well-known/jwks.json`, timeout: 300 });
  const feedDown = createVerifier({
    issuer: auth.base,
    audience: 'api',
    revocations: { clientId: 'gateway', clientSecret: SECRETS.gateway, url: `${front.base}/oauth/revocations` },
  });
  t.teardown(() => feedDown.close());
  await api.register(async (scope) => {
    await scope.register(fastifyVerifier, { verifier: keysDown });
    scope.get('/keys', async () => ({ ok: true }));
  });
  await api.register(async (scope) => {
    await scope.register(fastifyVerifier, { verifier: feedDown });
    scope.get('/feed', async () => ({ ok: true }));
  });
  for (const url of ['/keys', '/feed']) {
    const response = await api.inject({ url, headers: { authorization: `Bearer ${login.access_token}` } });
    t.equal(response.statusCode, 503, url);
    t.match(response.headers['retry-after'], /^\d+$/);
    t.equal(response.json().error, 'temporarily_unavailable');
    t.equal(response.headers['www-authenticate'], undefined, 'no challenge: the token was not judged');
  }
});
