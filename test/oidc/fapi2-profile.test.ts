import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { CLIENT_ASSERTION_TYPE } from '../../src/clients/client-assertion.js';
import { hashClientSecret } from '../../src/clients/secret.js';
import { buildTestApp, form, tempDir } from '../helpers/app.js';
import { basicAuth } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { allowConsent, CookieJar, pkce, register, signIn, visit } from '../helpers/sign-in.js';

// PROFILE=fapi2 (FAPI 2.0 Security Profile): openid-client with PAR, PKCE, private_key_jwt and its DPoP handle runs the
// code flow through the pages; whatever the profile forbids is refused at start, at registration or at the door.

const BANK_REDIRECT = 'https://bank.example/cb';
/** The settings PROFILE=fapi2 makes, as a test app takes them (loadConfig derives them; tested below). */
const FAPI2 = { profile: 'fapi2', requirePushedAuthorizationRequests: true, requireDpop: true, signingAlg: 'ES256' } as const;

async function clientKey(alg: 'ES256' | 'RS256' = 'ES256'): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: randomUUID(), alg } };
}

const bank = (jwk: JWK, extra: Record<string, unknown> = {}) => ({
  client_id: 'bank',
  type: 'confidential',
  jwks: { keys: [jwk] },
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'openid profile accounts',
  redirect_uris: [BANK_REDIRECT],
  ...extra,
});

t.test('openid-client in the FAPI 2.0 profile: PAR, PKCE, private_key_jwt and DPoP through the pages', async (t) => {
  const key = await clientKey();
  const auth = await listenTestApp(t, { clients: [bank(key.jwk)], config: FAPI2, shared: { prefix: 'fapi2:', keysDir: await tempDir(t) } });
  const { id: userId } = await register(auth.app, 'ada');
  const client = await oidc.discovery(
    new URL(auth.base),
    'bank',
    { id_token_signed_response_alg: 'ES256' },
    oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.jwk.kid! }),
    { execute: [oidc.allowInsecureRequests] },
  );
  const metadata = client.serverMetadata();
  t.same(metadata.token_endpoint_auth_methods_supported, ['private_key_jwt'], 'discovery lists exactly what the profile serves');
  t.same(metadata.grant_types_supported, ['authorization_code', 'refresh_token', 'client_credentials'], 'no password, device or exchange grant');
  t.same(metadata.dpop_signing_alg_values_supported, ['ES256', 'PS256', 'Ed25519', 'EdDSA'], 'no RS256 (FAPI 2.0 §5.4.1)');
  t.same(metadata.token_endpoint_auth_signing_alg_values_supported, ['PS256', 'ES256', 'Ed25519', 'EdDSA']);
  t.equal(metadata.require_pushed_authorization_requests, true);
  t.same(metadata.id_token_signing_alg_values_supported, ['ES256']);
  t.notOk(metadata.device_authorization_endpoint, 'no device grant');

  const DPoP = oidc.getDPoPHandle(client, await oidc.randomDPoPKeyPair('ES256'));
  const verifier = oidc.randomPKCECodeVerifier();
  const url = await oidc.buildAuthorizationUrlWithPAR(
    client,
    {
      redirect_uri: BANK_REDIRECT,
      scope: 'openid accounts',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'st-1',
    },
    { DPoP },
  );
  const browser = new CookieJar();
  const authorize = `${url.pathname}${url.search}`;
  const toLogin = await visit(auth.app, browser, authorize);
  const back = String((await signIn(auth.app, browser, String(toLogin.headers.location), 'ada')).headers.location);
  const consent = await visit(auth.app, browser, back);
  t.equal(consent.statusCode, 200, 'the consent page');
  const callback = new URL(String((await allowConsent(auth.app, browser, consent.body, back)).headers.location));
  t.equal(callback.searchParams.get('iss'), auth.base, 'the issuer in the response (RFC 9207), as FAPI 2.0 §5.3.2.2 asks');
  const tokens = await oidc.authorizationCodeGrant(client, callback, { pkceCodeVerifier: verifier, expectedState: 'st-1' }, undefined, { DPoP });
  t.equal(tokens.token_type, 'dpop', 'a DPoP-bound token');
  t.ok(decodeJwt(tokens.access_token).cnf, 'with its cnf.jkt');
  t.equal(decodeProtectedHeader(tokens.access_token).alg, 'ES256');
  t.equal(tokens.claims()?.sub, userId, 'the ES256 ID token, checked by openid-client');
  const info = await oidc.fetchUserInfo(client, tokens.access_token, userId, { DPoP });
  t.equal(info.sub, userId, 'userinfo with the bound token and a proof');
  const refreshed = await oidc.refreshTokenGrant(client, tokens.refresh_token!, undefined, { DPoP });
  t.equal(refreshed.token_type, 'dpop', 'refreshed, bound again');

  const assertion = (privateKey: CryptoKey, kid: string, alg: string) =>
    new SignJWT({ iss: 'bank', sub: 'bank', aud: auth.base, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg, kid })
      .sign(privateKey);
  const withoutProof = await auth.app.inject({
    method: 'POST',
    url: '/oauth/token',
    ...form({
      grant_type: 'refresh_token',
      refresh_token: refreshed.refresh_token!,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await assertion(key.privateKey, key.jwk.kid!, 'ES256'),
    }),
  });
  t.equal(withoutProof.json().error, 'invalid_dpop_proof', 'a token request without a proof');
  const { challenge } = pkce();
  const direct = await visit(
    auth.app,
    browser,
    `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'bank', redirect_uri: BANK_REDIRECT, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`,
  );
  t.match(String(direct.headers.location), /^https:\/\/bank\.example\/cb\?error=invalid_request/, 'an authorization request that was not pushed');
});

t.test('under the profile: an RS256 assertion, and a client made before the profile, are refused at the door', async (t) => {
  const rsa = await clientKey('RS256');
  const { app, store } = await buildTestApp(t, { config: FAPI2, clients: [bank(rsa.jwk)], shared: { prefix: 'fapi2-door:', keysDir: await tempDir(t) } });
  const assertion = await new SignJWT({ iss: 'bank', sub: 'bank', aud: 'http://127.0.0.1:3000', jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 60 })
    .setProtectedHeader({ alg: 'RS256', kid: rsa.jwk.kid! })
    .sign(rsa.privateKey);
  const rs256 = await app.inject({
    method: 'POST',
    url: '/oauth/par',
    ...form({
      response_type: 'code',
      redirect_uri: BANK_REDIRECT,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    }),
  });
  t.equal(rs256.statusCode, 401, 'an RS256 client assertion (FAPI 2.0 §5.4.1), though RS256 is the key it registered');
  t.equal(rs256.json().error, 'invalid_client');

  // A client the admin API made before the profile was switched on lives on in the store.
  const secret = 'legacy-secret-0123456789abcdefghijklmn';
  const now = Math.floor(Date.now() / 1000);
  const entry = { client_id: 'legacy', type: 'confidential', client_secret_hash: hashClientSecret(secret), grant_types: ['client_credentials'], scope: 'x' };
  t.equal(await store.clients.create({ entry, createdAt: now, updatedAt: now }), 'created');
  const body = form({ grant_type: 'client_credentials' });
  const legacy = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: body.payload,
    headers: { ...body.headers, authorization: basicAuth('legacy', secret) },
  });
  t.equal(legacy.statusCode, 401, 'its right secret opens nothing');
  t.match(legacy.json(), { error: 'invalid_client', error_description: /PROFILE=fapi2: it must be a confidential client with private_key_jwt/ });
});

t.test('PROFILE=fapi2 refuses contradicting settings and clients at start', async (t) => {
  const env = { NODE_ENV: 'test', MAIL_TRANSPORT: 'off', PROFILE: 'fapi2', SIGNING_ALG: 'ES256' };
  const config = loadConfig(env);
  t.match(config, { profile: 'fapi2', requirePushedAuthorizationRequests: true, requireDpop: true }, 'PAR and DPoP follow from the profile');
  const refusals: Array<[Record<string, string>, RegExp]> = [
    [{ SIGNING_ALG: 'RS256' }, /SIGNING_ALG.*ES256/],
    [{ SIGNING_ALG: '' }, /SIGNING_ALG.*ES256/],
    [{ REQUIRE_DPOP: 'false' }, /REQUIRE_DPOP: false contradicts PROFILE=fapi2/],
    [{ REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: 'false' }, /REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: false contradicts/],
    [{ CLIENT_REGISTRATION: 'open' }, /CLIENT_REGISTRATION: open contradicts PROFILE=fapi2/],
    [{ CLIENT_ID_METADATA_DOCUMENTS: 'on' }, /CLIENT_ID_METADATA_DOCUMENTS: on contradicts/],
    [{ PROFILE: 'fapi3' }, /PROFILE/],
  ];
  for (const [changed, message] of refusals) t.throws(() => loadConfig({ ...env, ...changed }), message, JSON.stringify(changed));

  const key = await clientKey();
  const clients: Array<[string, unknown]> = [
    ['a public client', { client_id: 'spa', type: 'public', grant_types: ['authorization_code'], scope: 'openid', redirect_uris: [BANK_REDIRECT] }],
    ['a client with a secret', { ...bank(key.jwk), jwks: undefined, client_secret_hash: hashClientSecret('a-secret-0123456789abcdefghijklmnopqrstu') }],
    ['the password grant', bank(key.jwk, { grant_types: ['authorization_code', 'password'], first_party: true })],
    ['token exchange', bank(key.jwk, { grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'] })],
    ['an http redirect', bank(key.jwk, { redirect_uris: ['http://127.0.0.1:9/cb'] })],
  ];
  for (const [what, entry] of clients) {
    const started = await buildTestApp(t, { config: FAPI2, clients: [entry], shared: { prefix: 'fapi2-start:', keysDir: await tempDir(t) } }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    t.match(started, /CLIENTS_FILE: client "(spa|bank)" .*as PROFILE=fapi2 requires/, `${what}: refused at start`);
  }
});

t.test('under the profile, registration makes only clients it serves; the registrar proves its key too', async (t) => {
  const registrarKey = await clientKey();
  const registrar = {
    client_id: 'registrar',
    type: 'confidential',
    jwks: { keys: [registrarKey.jwk] },
    grant_types: ['client_credentials'],
    scope: 'client_registration',
  };
  const auth = await listenTestApp(t, {
    config: { ...FAPI2, clientRegistration: { policy: 'initial-access-token', maxClients: 10, idleTtl: 86_400 } },
    clients: [registrar],
    shared: { prefix: 'fapi2-dcr:', keysDir: await tempDir(t) },
  });
  const execute = { execute: [oidc.allowInsecureRequests] };
  const config = await oidc.discovery(
    new URL(auth.base),
    'registrar',
    undefined,
    oidc.PrivateKeyJwt({ key: registrarKey.privateKey, kid: registrarKey.jwk.kid! }),
    execute,
  );
  const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  const { access_token: initialAccessToken } = await oidc.clientCredentialsGrant(config, { scope: 'client_registration' }, { DPoP });
  const register = (metadata: Partial<oidc.ClientMetadata>) =>
    oidc.dynamicClientRegistration(new URL(auth.base), metadata, undefined, { ...execute, initialAccessToken, DPoP }).then(
      (registered) => registered.clientMetadata().token_endpoint_auth_method as string,
      (error: { error?: string; error_description?: string }) => `${error.error}: ${error.error_description}`,
    );
  t.match(
    await register({ redirect_uris: [BANK_REDIRECT], token_endpoint_auth_method: 'none' }),
    /^invalid_client_metadata: under PROFILE=fapi2 the client must be a confidential client/,
  );
  t.match(await register({ redirect_uris: [BANK_REDIRECT], token_endpoint_auth_method: 'client_secret_basic' }), /^invalid_client_metadata/);
  const key = await clientKey();
  t.equal(await register({ redirect_uris: [BANK_REDIRECT], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.jwk] } }), 'private_key_jwt');
  const asBearer = await fetch(`${auth.base}/oauth/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${initialAccessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [BANK_REDIRECT], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.jwk] } }),
  });
  t.equal(asBearer.status, 401, 'the bound initial access token without its proof');
});
