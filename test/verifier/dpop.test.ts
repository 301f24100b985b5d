import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import t from 'tap';
import { createVerifier, VerifierError } from '@tokensmith/verifier';
import { accessTokenHash } from '@tokensmith/verifier/shared';
import { buildResourceService } from '../../examples/resource-service/app.js';
import { SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually, listenOn, listenTestApp } from '../helpers/listen.js';
import { serviceToken } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';

// The verifier library and its Fastify plugin with DPoP-bound tokens (RFC 9449 §7): openid-client calls a resource
// service on a real socket with its DPoP handle; a stolen bound token, a replayed proof, a proof for another request or
// made with another key is refused.

t.test('a resource service behind the verifier takes DPoP-bound tokens with their proofs, and nothing less', async (t) => {
  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const api = await buildResourceService({ issuer: auth.base, audience: 'orders-api' });
  const apiBase = await listenOn(t, api);
  const orders = await oidc.discovery(new URL(auth.base), 'orders-svc', SECRETS.orders, undefined, { execute: [oidc.allowInsecureRequests] });
  const keyPair = await oidc.randomDPoPKeyPair('ES256');
  const DPoP = oidc.getDPoPHandle(orders, keyPair);
  const { access_token: token } = await oidc.clientCredentialsGrant(orders, { scope: 'orders:read orders:write', audience: 'orders-api' }, { DPoP });
  const url = new URL(`${apiBase}/api/orders`);

  const read = await oidc.fetchProtectedResource(orders, token, url, 'GET', undefined, undefined, { DPoP });
  t.equal(read.status, 200, 'openid-client with its DPoP handle');
  t.match(await read.json(), { subject: 'orders-svc' });
  const written = await oidc.fetchProtectedResource(orders, token, url, 'POST', undefined, undefined, { DPoP });
  t.equal(written.status, 201, 'a proof per request, each for its method');

  const stolen = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  t.equal(stolen.status, 401, 'the bound token as a bearer token (§7.2)');
  t.match(stolen.headers.get('www-authenticate'), /^Bearer realm="orders", error="invalid_token"/);

  const jwk = await exportJWK(keyPair.publicKey);
  const proofFor = (claims: Record<string, unknown>, privateKey = keyPair.privateKey, key = jwk) =>
    new SignJWT({ htm: 'GET', htu: url.href, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ath: accessTokenHash(token), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key })
      .sign(privateKey);
  const call = (proof: string | undefined, authorization = `DPoP ${token}`) =>
    fetch(url, { headers: { authorization, ...(proof === undefined ? {} : { dpop: proof }) } });
  const good = await proofFor({});
  t.equal((await call(good)).status, 200);
  const other = await generateKeyPair('ES256', { extractable: true });
  const cases: Array<[string, string | undefined]> = [
    ['a replayed proof', good],
    ['no proof', undefined],
    ['a proof for another URL', await proofFor({ htu: `${apiBase}/api/other` })],
    ['a proof for another method', await proofFor({ htm: 'DELETE' })],
    ['a proof of another token', await proofFor({ ath: accessTokenHash('another token') })],
    ['a proof without ath', await proofFor({ ath: undefined })],
    ['a proof made with another key', await proofFor({}, other.privateKey, await exportJWK(other.publicKey))],
  ];
  for (const [what, proof] of cases) {
    const refused = await call(proof);
    t.equal(refused.status, 401, what);
    t.match(refused.headers.get('www-authenticate'), /^DPoP algs="[^"]+", error="invalid_dpop_proof"/, `${what}: a DPoP challenge`);
    t.equal(((await refused.json()) as { error: string }).error, 'invalid_dpop_proof');
  }
  const bearerToken = await serviceToken(auth.app);
  const unbound = await call(await proofFor({ ath: accessTokenHash(bearerToken) }), `DPoP ${bearerToken}`);
  t.equal(unbound.status, 401, 'an unbound token sent as DPoP');
  t.match(unbound.headers.get('www-authenticate'), /^DPoP .*error="invalid_token"/);
});

t.test('verify() itself: a bound token needs its proof, and the jti store can be shared', async (t) => {
  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const seen = new Set<string>();
  const shared = { firstUse: async (id: string) => !seen.has(id) && Boolean(seen.add(id)) };
  const a = createVerifier({ issuer: auth.base, audience: 'orders-api', dpop: shared });
  const b = createVerifier({ issuer: auth.base, audience: 'orders-api', dpop: shared });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const orders = await oidc.discovery(new URL(auth.base), 'orders-svc', SECRETS.orders, undefined, { execute: [oidc.allowInsecureRequests] });
  const { access_token: token } = await oidc.clientCredentialsGrant(
    orders,
    { audience: 'orders-api' },
    { DPoP: oidc.getDPoPHandle(orders, { privateKey, publicKey }) },
  );
  const url = 'https://orders.example/api/orders?page=2';
  const proof = await new SignJWT({
    htm: 'GET',
    htu: 'https://orders.example/api/orders',
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ath: accessTokenHash(token),
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk })
    .sign(privateKey);
  const verified = await a.verify(token, { dpop: { proof, method: 'GET', url } });
  t.equal(verified.dpopJkt, await calculateJwkThumbprint(jwk, 'sha256'), 'the binding is reported');
  const replayed = await b.verify(token, { dpop: { proof, method: 'GET', url } }).catch((error: unknown) => error);
  t.ok(replayed instanceof VerifierError && replayed.code === 'invalid_dpop_proof', 'the other instance sees the jti through the shared store');
  const asBearer = await a.verify(token).catch((error: unknown) => error);
  t.ok(asBearer instanceof VerifierError && asBearer.code === 'invalid_token', 'verify() without the proof refuses a bound token');
});

t.test('the revocation feed keeps working for bound tokens: a revoked one is refused, proof or not', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const auth = await listenTestApp(t, { store: 'redis', redis, clients: SERVICE_CLIENTS });
  const verifier = createVerifier({ issuer: auth.base, audience: 'orders-api', revocations: { clientId: 'gateway', clientSecret: SECRETS.gateway } });
  t.teardown(() => verifier.close());
  await verifier.ready();
  const orders = await oidc.discovery(new URL(auth.base), 'orders-svc', SECRETS.orders, undefined, { execute: [oidc.allowInsecureRequests] });
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const { access_token: token } = await oidc.clientCredentialsGrant(
    orders,
    { audience: 'orders-api' },
    { DPoP: oidc.getDPoPHandle(orders, { privateKey, publicKey }) },
  );
  const jwk = await exportJWK(publicKey);
  const url = 'https://orders.example/api/orders';
  const presented = async () => ({
    proof: await new SignJWT({ htm: 'GET', htu: url, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ath: accessTokenHash(token) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(privateKey),
    method: 'GET',
    url,
  });
  t.ok(await verifier.verify(token, { dpop: await presented() }), 'accepted with its proof');
  await oidc.tokenRevocation(orders, token);
  const refused = async () => (await verifier.verify(token, { dpop: await presented() }).catch((error: unknown) => error)) instanceof VerifierError;
  t.ok(await eventually(refused, 2000, 50), 'refused within two seconds of its revocation, its proof notwithstanding');
  const error = await verifier.verify(token, { dpop: await presented() }).catch((caught: VerifierError) => caught);
  t.match(error, { code: 'invalid_token', message: /revoked/ });
});
