import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';
import t from 'tap';
import { CLIENT_ASSERTION_TYPE } from '../../src/clients/client-assertion.js';
import { buildTestApp, form, testClock, type TestApp } from '../helpers/app.js';
import { basicAuth, SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { documentHost } from '../helpers/metadata-documents.js';

/** A client's key pair: the private key it signs with, and the public JWK it registers. */
async function keyPair(alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256', kid: string = randomUUID()): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

const keyClient = (clientId: string, keys: { jwks?: unknown; jwks_uri?: string }) => ({
  client_id: clientId,
  type: 'confidential',
  grant_types: ['client_credentials'],
  scope: 'reports:read introspect',
  ...keys,
});

/** A client assertion (RFC 7523 §3), with the claims a test overrides. */
function assertion(privateKey: CryptoKey, kid: string, claims: Record<string, unknown>, alg = 'ES256') {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'reports', sub: 'reports', aud: 'http://127.0.0.1:3000', jti: randomUUID(), exp: now + 60, iat: now, ...claims })
    .setProtectedHeader({ alg, kid })
    .sign(privateKey);
}

/** A client_credentials request authenticated by an assertion. */
async function tokenWith(app: TestApp['app'], clientAssertion: string, extra: Record<string, string> = {}) {
  const body = form({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion, ...extra });
  const response = await app.inject({ method: 'POST', url: '/oauth/token', payload: body.payload, headers: body.headers });
  return { status: response.statusCode, body: response.json() as Record<string, string> };
}

t.test('private_key_jwt with openid-client: client_credentials and introspection, no secret anywhere', async (t) => {
  const { privateKey, jwk } = await keyPair('ES256');
  const auth = await listenTestApp(t, { clients: [...SERVICE_CLIENTS, keyClient('reports', { jwks: { keys: [jwk] } })] });
  const insecure = { execute: [oidc.allowInsecureRequests] };
  const reports = await oidc.discovery(new URL(auth.base), 'reports', undefined, oidc.PrivateKeyJwt({ key: privateKey, kid: jwk.kid! }), insecure);
  t.ok(reports.serverMetadata().token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
  const tokens = await oidc.clientCredentialsGrant(reports, { scope: 'reports:read' });
  t.match(decodeJwt(tokens.access_token), { client_id: 'reports', scope: 'reports:read' });
  const introspected = await oidc.tokenIntrospection(reports, tokens.access_token);
  t.equal(introspected.active, true, 'introspection authenticates the same way');
  const revoked = await oidc.tokenRevocation(reports, tokens.access_token).then(
    () => 'ok',
    (error: unknown) => error,
  );
  t.equal(revoked, 'ok', 'and revocation');
  t.equal((await oidc.tokenIntrospection(reports, tokens.access_token)).active, false);
  const secretTry = await auth.app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({ grant_type: 'client_credentials' }),
    headers: { ...form({}).headers, authorization: basicAuth('reports', SECRETS.gateway) },
  });
  t.equal(secretTry.statusCode, 401, 'a client with keys has no secret to guess');
});

t.test('assertions refused (RFC 7523 §3): replayed, another audience, too long-lived, expired, another key, another client, HS256', async (t) => {
  const { privateKey, jwk } = await keyPair('ES256', 'k1');
  const stranger = await keyPair('ES256', 'k1');
  const { app, logs } = await buildTestApp(t, { clients: [...SERVICE_CLIENTS, keyClient('reports', { jwks: { keys: [jwk] } })] });
  const good = await assertion(privateKey, 'k1', {});
  t.equal((await tokenWith(app, good)).status, 200);
  const replay = await tokenWith(app, good);
  t.same([replay.status, replay.body.error], [401, 'invalid_client'], 'the same assertion twice');
  const now = Math.floor(Date.now() / 1000);
  const refusals: Array<[string, Promise<string>]> = [
    ['the token endpoint as aud', assertion(privateKey, 'k1', { aud: 'http://127.0.0.1:3000/oauth/token' })],
    ['another server', assertion(privateKey, 'k1', { aud: 'https://other.example' })],
    ['lives an hour', assertion(privateKey, 'k1', { exp: now + 3600 })],
    ['expired', assertion(privateKey, 'k1', { exp: now - 60 })],
    ['no jti', assertion(privateKey, 'k1', { jti: undefined })],
    ['signed by another key', assertion(stranger.privateKey, 'k1', {})],
    ['iss another client', assertion(privateKey, 'k1', { iss: 'gateway' })],
    [
      'HS256 with the public key as secret',
      new SignJWT({ iss: 'reports', sub: 'reports', aud: 'http://127.0.0.1:3000', jti: 'x', exp: now + 60 })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(JSON.stringify(jwk))),
    ],
    ['not a JWT', Promise.resolve('not-a-jwt')],
  ];
  for (const [why, made] of refusals) {
    const answer = await tokenWith(app, await made);
    t.same([answer.status, answer.body.error], [401, 'invalid_client'], why);
  }
  const gatewayClaim = await tokenWith(app, await assertion(privateKey, 'k1', {}), { client_id: 'gateway' });
  t.same([gatewayClaim.status, gatewayClaim.body.error], [401, 'invalid_client'], 'client_id naming another client');
  const wrongType = await tokenWith(app, await assertion(privateKey, 'k1', {}), { client_assertion_type: 'urn:example:saml' });
  t.same([wrongType.status, wrongType.body.error], [400, 'invalid_request'], 'an assertion type not served');
  t.ok(logs.records().filter((line) => line.event === 'client_auth_failed').length >= refusals.length, 'each failure audited');
  t.notMatch(logs.lines.join('\n'), good.slice(good.lastIndexOf('.')), 'no assertion signature in the logs');
});

t.test('jwks_uri: read through the request-forgery guard, kept per Cache-Control, read again for a new kid', async (t) => {
  const host = await documentHost(t);
  const first = await keyPair('RS256', 'r1');
  const second = await keyPair('RS256', 'r2');
  host.serve('/jwks.json', { keys: [first.jwk] }, { 'cache-control': 'max-age=3600' });
  const clock = testClock();
  const clients = [...SERVICE_CLIENTS, keyClient('reports', { jwks_uri: `${host.base}/jwks.json` })];
  const { app } = await buildTestApp(t, { clients, clock, config: { clientMetadataDocuments: { enabled: false, allowLoopback: true, ca: host.ca } } });
  const now = () => Math.floor(clock() / 1000);
  const signed = (key: typeof first, kid: string) => assertion(key.privateKey, kid, { exp: now() + 60, iat: now() }, 'RS256');
  t.equal((await tokenWith(app, await signed(first, 'r1'))).status, 200);
  t.equal((await tokenWith(app, await signed(first, 'r1'))).status, 200);
  t.equal(host.requests.get('/jwks.json'), 1, 'read once, then kept');
  // The client rotates: its set gains r2; an assertion with r2 makes the service read the set again (once a minute at most).
  host.serve('/jwks.json', { keys: [first.jwk, second.jwk] }, { 'cache-control': 'max-age=3600' });
  t.equal((await tokenWith(app, await signed(second, 'r2'))).status, 401, 'within a minute of the last read: not read again');
  clock.advance(61);
  t.equal((await tokenWith(app, await signed(second, 'r2'))).status, 200, 'a minute on: read again, the new key found');
  t.equal(host.requests.get('/jwks.json'), 2);
  host.serve('/private.json', { keys: [{ ...first.jwk, d: 'AAAA' }] });
  const leaky = await buildTestApp(t, {
    clients: [...SERVICE_CLIENTS, keyClient('reports', { jwks_uri: `${host.base}/private.json` })],
    config: { clientMetadataDocuments: { enabled: false, allowLoopback: true, ca: host.ca } },
  });
  t.equal((await tokenWith(leaky.app, await assertion(first.privateKey, 'r1', {}, 'RS256'))).status, 401, 'a set with a private key is refused');
  const guarded = await buildTestApp(t, { clients, config: { clientMetadataDocuments: { enabled: false, allowLoopback: false, ca: host.ca } } });
  t.equal(
    (await tokenWith(guarded.app, await assertion(first.privateKey, 'r1', {}, 'RS256'))).status,
    401,
    'a loopback jwks_uri is not read without the allowance',
  );
});

t.test('client entries: keys or a secret, public keys only, confidential clients only', async (t) => {
  const { jwk } = await keyPair();
  const { ClientRegistry } = await import('../../src/clients/registry.js');
  const entry = (extra: Record<string, unknown>) => [{ client_id: 'c', grant_types: ['client_credentials'], type: 'confidential', ...extra }];
  t.throws(() => ClientRegistry.fromEntries(entry({ jwks: { keys: [jwk] }, jwks_uri: 'https://c.example/jwks' }), 'api'), /not both|cannot both/);
  t.throws(() => ClientRegistry.fromEntries(entry({ jwks: { keys: [{ ...jwk, d: 'x' }] } }), 'api'), /public keys only/);
  t.throws(() => ClientRegistry.fromEntries(entry({ jwks_uri: 'http://c.example/jwks' }), 'api'), /https/);
  t.throws(() => ClientRegistry.fromEntries(entry({ jwks: { keys: [jwk] }, client_secret_hash: `sha256:${'0'.repeat(64)}` }), 'api'), /not both/);
  t.throws(
    () => ClientRegistry.fromEntries([{ client_id: 'p', type: 'public', grant_types: ['password'], jwks: { keys: [jwk] } }], 'api'),
    /public client has no keys/,
  );
  t.ok(ClientRegistry.fromEntries(entry({ jwks: { keys: [jwk] } }), 'api').get('c')?.keys, 'keys instead of a secret');
});

t.test('openid-client signs an Ed25519 key as Ed25519 (RFC 9864), not EdDSA: both are taken', async (t) => {
  const { privateKey, jwk } = await keyPair('EdDSA');
  const auth = await listenTestApp(t, { clients: [keyClient('reports', { jwks: { keys: [{ ...jwk, alg: undefined }] } })] });
  const reports = await oidc.discovery(new URL(auth.base), 'reports', undefined, oidc.PrivateKeyJwt({ key: privateKey, kid: jwk.kid! }), {
    execute: [oidc.allowInsecureRequests],
  });
  let alg: unknown;
  reports[oidc.customFetch] = async (input, init) => {
    alg ??= decodeProtectedHeader(new URLSearchParams(String(init?.body)).get('client_assertion') ?? '').alg;
    return fetch(input, init);
  };
  const tokens = await oidc.clientCredentialsGrant(reports, { scope: 'reports:read' });
  t.equal(alg, 'Ed25519', 'the assertion names the fully specified algorithm');
  t.match(decodeJwt(tokens.access_token), { client_id: 'reports' });
});
