import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import t from 'tap';
import { hashClientSecret } from '../../src/clients/secret.js';
import { PasswordHasher } from '../../src/users/password-hasher.js';
import { buildTestApp, form, type StoreKind } from '../helpers/app.js';
import { freePort, startRedis } from '../helpers/redis-server.js';

const redis = await startRedis();
t.teardown(() => redis.close());

const SECRET = 'a-high-entropy-test-secret-0123456789abcdef';
const CLIENTS = [
  { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile orders:read' },
  { client_id: 'refresh-only', type: 'public', grant_types: ['refresh_token'], scope: 'profile' },
  {
    client_id: 'backoffice',
    type: 'confidential',
    client_secret_hash: hashClientSecret(SECRET),
    grant_types: ['password'],
    scope: 'admin',
    audience: ['admin-api', 'audit-api'],
  },
];

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`password grant (${kind} store)`, async (t) => {
    const ctx = await buildTestApp(t, { store: kind, redis, clients: CLIENTS });
    const { app, store, config, keyring } = ctx;
    const registered = await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'alice', password: 'correct horse' } });
    const userId = registered.json().id as string;
    const token = (params: Record<string, string>, headers: Record<string, string> = {}) => {
      const request = form(params);
      return app.inject({ method: 'POST', url: '/oauth/token', payload: request.payload, headers: { ...request.headers, ...headers } });
    };
    const login = { grant_type: 'password', username: 'alice', password: 'correct horse', client_id: 'web' };

    t.test('success: an RFC 9068 access token, not cacheable', async (t) => {
      const response = await token(login, { 'user-agent': 'test-agent/1.0' });
      t.equal(response.statusCode, 200);
      t.equal(response.headers['cache-control'], 'no-store');
      t.equal(response.headers.pragma, 'no-cache');
      const body = response.json();
      t.same(
        Object.keys(body).sort(),
        ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'],
        'a refresh token for a client allowed the refresh_token grant',
      );
      t.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
      t.equal(body.token_type, 'Bearer');
      t.equal(body.expires_in, config.accessTokenTtl);
      t.equal(body.scope, 'profile orders:read', "all of the client's scopes when none is asked for");
      const header = decodeProtectedHeader(body.access_token);
      t.same(header, { alg: 'RS256', typ: 'at+jwt', kid: keyring.signingKey()!.kid });
      const claims = decodeJwt(body.access_token);
      t.same(Object.keys(claims).sort(), ['acr', 'amr', 'aud', 'auth_time', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sid', 'sub']);
      t.equal(claims.iss, config.issuer);
      t.equal(claims.sub, userId, 'sub is the stable user id, not the username');
      t.equal(claims.aud, config.defaultAudience);
      t.equal(claims.client_id, 'web');
      t.equal(claims.scope, 'profile orders:read');
      t.equal(claims.exp! - claims.iat!, config.accessTokenTtl);
      const session = await store.sessions.get(claims.sid as string);
      t.same(session && { userId: session.userId, clientId: session.clientId, scope: session.scope, userAgent: session.userAgent }, {
        userId,
        clientId: 'web',
        scope: 'profile orders:read',
        userAgent: 'test-agent/1.0',
      });
      const again = decodeJwt((await token(login)).json().access_token);
      t.not(again.jti, claims.jti, 'jti is unique');
      t.not(again.sid, claims.sid, 'each login starts its own session');
    });

    t.test('JSON bodies are accepted too', async (t) => {
      const response = await app.inject({ method: 'POST', url: '/oauth/token', payload: login });
      t.equal(response.statusCode, 200);
    });

    t.test('usernames match in any case and compatibility form', async (t) => {
      t.equal((await token({ ...login, username: 'ALICE' })).statusCode, 200);
      t.equal((await token({ ...login, username: 'ａｌｉｃｅ' })).statusCode, 200);
    });

    t.test('a narrower scope is granted as asked; a wider one is invalid_scope', async (t) => {
      const narrow = await token({ ...login, scope: 'orders:read' });
      t.equal(narrow.json().scope, 'orders:read');
      t.equal(decodeJwt(narrow.json().access_token).scope, 'orders:read');
      for (const scope of ['admin', 'profile admin', 'bad"scope']) {
        const wide = await token({ ...login, scope });
        t.equal(wide.statusCode, 400, scope);
        t.equal(wide.json().error, 'invalid_scope');
      }
    });

    t.test('wrong password and unknown user get the same status, body and headers', async (t) => {
      const wrong = await token({ ...login, password: 'wrong horse' });
      const unknown = await token({ ...login, username: 'mallory' });
      const malformed = await token({ ...login, username: 'not a name!' });
      for (const response of [wrong, unknown, malformed]) {
        t.equal(response.statusCode, 400);
        t.same(response.json(), { error: 'invalid_grant', error_description: 'the username or password is wrong' });
      }
      const headers = (r: typeof wrong) =>
        Object.keys(r.headers)
          .filter((h) => h !== 'date')
          .sort()
          .map((h) => `${h}: ${h === 'content-length' ? r.headers[h] : typeof r.headers[h]}`);
      t.same(headers(unknown), headers(wrong));
      t.same(headers(malformed), headers(wrong));
    });

    t.test('a disabled user cannot log in', async (t) => {
      const hash = await new PasswordHasher(config.argon2).hash('disabled pw');
      await store.users.create({
        id: 'a1f0c8e2-0000-4000-8000-000000000001',
        username: 'dora',
        usernameKey: 'dora',
        passwordHash: hash,
        createdAt: 1,
        disabled: true,
      });
      const response = await token({ ...login, username: 'dora', password: 'disabled pw' });
      t.equal(response.statusCode, 400);
      t.equal(response.json().error, 'invalid_grant');
    });

    t.test('a hash below the configured policy is re-hashed at the next successful login', async (t) => {
      const weak = await new PasswordHasher({ memoryCost: 512, timeCost: 1, parallelism: 1 }).hash('old params pw');
      const id = 'a1f0c8e2-0000-4000-8000-000000000002';
      await store.users.create({ id, username: 'olga', usernameKey: 'olga', passwordHash: weak, createdAt: 1, disabled: false });
      t.equal((await token({ ...login, username: 'olga', password: 'wrong password' })).statusCode, 400);
      t.equal((await store.users.findById(id))?.passwordHash, weak, 'a failed login changes nothing');
      t.equal((await token({ ...login, username: 'olga', password: 'old params pw' })).statusCode, 200);
      const rehashed = (await store.users.findById(id))!.passwordHash;
      t.match(rehashed, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      t.equal((await token({ ...login, username: 'olga', password: 'old params pw' })).statusCode, 200, 'the new hash verifies');
    });

    const invalidRequests: Array<[string, Record<string, string>]> = [
      ['missing username', { grant_type: 'password', password: 'x', client_id: 'web' }],
      ['missing password', { grant_type: 'password', username: 'alice', client_id: 'web' }],
      ['empty password', { ...login, password: '' }],
      ['missing grant_type', { username: 'alice', password: 'correct horse', client_id: 'web' }],
      ['a password over 1024 bytes', { ...login, password: 'x'.repeat(1025) }],
    ];
    for (const [name, params] of invalidRequests) {
      t.test(`invalid_request: ${name}`, async (t) => {
        const response = await token(params);
        t.equal(response.statusCode, 400);
        t.equal(response.json().error, 'invalid_request');
        t.equal(response.headers['cache-control'], 'no-store', 'errors are not cacheable either');
      });
    }

    t.test('invalid_request: a repeated parameter (RFC 6749 §3.2)', async (t) => {
      const response = await app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=password&username=alice&username=bob&password=correct+horse&client_id=web',
      });
      t.equal(response.statusCode, 400);
      t.same(response.json(), { error: 'invalid_request', error_description: 'parameter repeated: username' });
    });

    t.test('unsupported_grant_type', async (t) => {
      const response = await token({ ...login, grant_type: 'urn:example:magic' });
      t.equal(response.statusCode, 400);
      t.equal(response.json().error, 'unsupported_grant_type');
    });

    t.test('invalid_client (401) for an unknown or missing client', async (t) => {
      for (const params of [
        { ...login, client_id: 'nobody' },
        { grant_type: 'password', username: 'alice', password: 'correct horse' },
      ]) {
        const response = await token(params);
        t.equal(response.statusCode, 401);
        t.same(response.json(), { error: 'invalid_client', error_description: 'client authentication failed' });
        t.equal(response.headers['www-authenticate'], undefined, 'no Basic challenge when Basic was not used');
      }
    });

    t.test('unauthorized_client for a client not allowed the password grant', async (t) => {
      const response = await token({ ...login, client_id: 'refresh-only' });
      t.equal(response.statusCode, 400);
      t.equal(response.json().error, 'unauthorized_client');
    });

    t.test('a public client that sends a secret is refused', async (t) => {
      const response = await token({ ...login, client_secret: 'guess' });
      t.equal(response.statusCode, 401);
    });

    t.test('confidential clients authenticate with Basic (form-encoded, RFC 6749 §2.3.1) or client_secret_post', async (t) => {
      const params = { grant_type: 'password', username: 'alice', password: 'correct horse' };
      const viaBasic = await token(params, { authorization: basic('backoffice', SECRET) });
      t.equal(viaBasic.statusCode, 200);
      t.same(decodeJwt(viaBasic.json().access_token).aud, ['admin-api', 'audit-api'], "the client's audience");
      t.equal(viaBasic.json().refresh_token, undefined, 'no refresh token for a client without the refresh_token grant');
      const viaPost = await token({ ...params, client_id: 'backoffice', client_secret: SECRET });
      t.equal(viaPost.statusCode, 200);
      const wrong = await token(params, { authorization: basic('backoffice', 'wrong') });
      const unknown = await token(params, { authorization: basic('nobody', SECRET) });
      for (const response of [wrong, unknown]) {
        t.equal(response.statusCode, 401);
        t.equal(response.json().error, 'invalid_client');
        t.match(response.headers['www-authenticate'], /^Basic /, 'Basic challenge after Basic (RFC 6749 §5.2)');
      }
      t.same(wrong.json(), unknown.json());
      const missingSecret = await token({ ...params, client_id: 'backoffice' });
      t.equal(missingSecret.statusCode, 401);
      const both = await token({ ...params, client_secret: SECRET }, { authorization: basic('backoffice', SECRET) });
      t.equal(both.statusCode, 400);
      t.equal(both.json().error, 'invalid_request');
    });

    t.test('wrong content type: 415 in the same error shape', async (t) => {
      const response = await app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'text/plain' }, payload: 'grant_type=password' });
      t.equal(response.statusCode, 415);
      t.equal(response.json().error, 'unsupported_media_type');
    });

    t.test('an oversized body: 413 before parsing', async (t) => {
      const response = await token({ ...login, filler: 'x'.repeat(20_000) });
      t.equal(response.statusCode, 413);
      t.equal(response.json().error, 'payload_too_large');
    });

    t.test('unknown parameters are ignored (RFC 6749 §3.2)', async (t) => {
      t.equal((await token({ ...login, nonce: 'whatever' })).statusCode, 200);
    });
  });
}

t.test('a token verifies with jose createRemoteJWKSet + jwtVerify, using only the published metadata and JWKS', async (t) => {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { app } = await buildTestApp(t, { config: { issuer } });
  await app.listen({ port, host: '127.0.0.1' });
  const registered = await fetch(`${issuer}/account/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'remote', password: 'long enough' }),
  });
  t.equal(registered.status, 201);
  const response = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: 'remote', password: 'long enough', client_id: 'web' }),
  });
  const { access_token: accessToken } = (await response.json()) as { access_token: string };
  const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; jwks_uri: string };
  t.equal(metadata.issuer, issuer);
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, { issuer: metadata.issuer, typ: 'at+jwt', algorithms: ['RS256'], audience: 'api' });
  t.equal(protectedHeader.alg, 'RS256');
  t.equal(payload.sub, ((await registered.json()) as { id: string }).id);
  await t.rejects(
    jwtVerify(accessToken, jwks, { issuer: 'https://evil.example', algorithms: ['RS256'] }),
    { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' },
    'a wrong issuer is refused',
  );
  await t.rejects(jwtVerify(accessToken, jwks, { issuer, typ: 'JWT', algorithms: ['RS256'] }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' }, 'typ is checked');
  const tampered = accessToken.slice(0, -4) + (accessToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await t.rejects(jwtVerify(tampered, jwks, { issuer, algorithms: ['RS256'] }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
});
