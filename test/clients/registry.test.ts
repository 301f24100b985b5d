import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { matchesRedirectUri } from '../../src/clients/redirect-uri.js';
import { authenticateClient } from '../../src/clients/authenticate.js';
import { ClientRegistry } from '../../src/clients/registry.js';
import { generateClientSecret, hashClientSecret, secretMatches } from '../../src/clients/secret.js';
import { tempDir } from '../helpers/app.js';

const hash = `sha256:${'ab'.repeat(32)}`;

t.test('with no CLIENTS_FILE: one public client `web` with password and refresh_token', async (t) => {
  const registry = ClientRegistry.load(undefined, 'api');
  const web = registry.get('web');
  t.equal(web?.type, 'public');
  t.same([...web!.grantTypes], ['password', 'refresh_token']);
  t.same(web?.audience, ['api'], 'the default audience');
  t.equal(web?.refreshTokenDelivery, 'body');
});

t.test('a valid file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'clients.json');
  await writeFile(
    file,
    JSON.stringify([
      { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile orders:read', refresh_token_delivery: 'cookie' },
      {
        client_id: 'orders-svc',
        type: 'confidential',
        client_secret_hash: hash,
        grant_types: ['client_credentials'],
        scope: 'orders:read',
        audience: ['orders-api'],
      },
    ]),
  );
  const registry = ClientRegistry.load(file, 'api');
  t.equal(registry.get('web')?.refreshTokenDelivery, 'cookie');
  t.same(registry.get('orders-svc')?.audience, ['orders-api']);
  t.same(registry.browserScopes(), [], 'no authorization_code client: no scope to advertise');
});

const badEntries: Array<[string, unknown, RegExp]> = [
  ['a plain-text secret', { client_id: 'x', type: 'confidential', client_secret: 's3cret', grant_types: ['client_credentials'] }, /plain-text client_secret/],
  [
    'a secret hash that is not sha256 hex',
    { client_id: 'x', type: 'confidential', client_secret_hash: 'md5:abc', grant_types: ['client_credentials'] },
    /client_secret_hash/,
  ],
  ['a missing type', { client_id: 'x', grant_types: ['password'] }, /type must be/],
  ['an unknown grant', { client_id: 'x', type: 'public', grant_types: ['implicit'] }, /grant_types/],
  ['no grants', { client_id: 'x', type: 'public', grant_types: [] }, /grant_types/],
  ['a public client with client_credentials', { client_id: 'x', type: 'public', grant_types: ['client_credentials'] }, /public client cannot/],
  ['a public client with a secret hash', { client_id: 'x', type: 'public', client_secret_hash: hash, grant_types: ['password'] }, /no client_secret_hash/],
  ['a malformed scope', { client_id: 'x', type: 'public', grant_types: ['password'], scope: 'a "b"' }, /scope/],
  ['a bad delivery', { client_id: 'x', type: 'public', grant_types: ['password'], refresh_token_delivery: 'url' }, /refresh_token_delivery/],
  ['an unknown field', { client_id: 'x', type: 'public', grant_types: ['password'], redirect_uri: 'https://x' }, /unknown field/],
  ['a UUID-shaped client_id', { client_id: '123e4567-e89b-42d3-a456-426614174000', type: 'public', grant_types: ['password'] }, /UUID/],
  ['a bad audience', { client_id: 'x', type: 'public', grant_types: ['password'], audience: 'api' }, /audience/],
  ['require_mfa not a boolean', { client_id: 'x', type: 'public', grant_types: ['password'], require_mfa: 'yes' }, /require_mfa must be true or false/],
  [
    'require_mfa with the password grant',
    { client_id: 'x', type: 'public', grant_types: ['password'], require_mfa: true },
    /require_mfa needs the authorization_code grant/,
  ],
  [
    'require_mfa beside the password grant',
    { client_id: 'x', type: 'public', grant_types: ['authorization_code', 'password'], redirect_uris: ['https://x.example/cb'], require_mfa: true },
    /cannot go with the password grant/,
  ],
  ['the authorization_code grant without redirect_uris', { client_id: 'x', type: 'public', grant_types: ['authorization_code'] }, /needs redirect_uris/],
  ...(
    [
      ['an http redirect URI off loopback', 'http://app.example/cb', /http on a host that is not a loopback/],
      ['a redirect URI on localhost by name (RFC 8252 §8.3)', 'http://localhost:8080/cb', /not a loopback/],
      ['a redirect URI with a fragment', 'https://app.example/cb#x', /fragment/],
      ['a relative redirect URI', '/cb', /not an absolute URI/],
      ['a javascript: redirect URI', 'javascript:alert(1)', /scheme/],
    ] as const
  ).map(([name, uri, pattern]): [string, unknown, RegExp] => [
    name,
    { client_id: 'x', type: 'public', grant_types: ['authorization_code'], redirect_uris: [uri] },
    pattern,
  ]),
  [
    'a bad post-logout URI',
    { client_id: 'x', type: 'public', grant_types: ['password'], post_logout_redirect_uris: ['http://evil.example/'] },
    /post_logout_redirect_uris/,
  ],
  ['a first_party that is not a boolean', { client_id: 'x', type: 'public', grant_types: ['password'], first_party: 'yes' }, /first_party/],
];

for (const [name, entry, pattern] of badEntries) {
  t.test(`refused: ${name}, naming the entry`, async (t) => {
    const good = { client_id: 'ok', type: 'public', grant_types: ['password'] };
    t.throws(() => ClientRegistry.fromEntries([good, entry], 'api'), {
      name: 'ConfigError',
      variable: 'CLIENTS_FILE',
      message: new RegExp(`entry 1 \\("x"\\)|entry 1 \\("123e`),
    });
    t.throws(() => ClientRegistry.fromEntries([entry], 'api'), { message: pattern });
  });
}

t.test('refused: duplicate ids, a non-array, malformed JSON, an unreadable file', async (t) => {
  const web = { client_id: 'web', type: 'public', grant_types: ['password'] };
  t.throws(() => ClientRegistry.fromEntries([web, web], 'api'), { message: /entry 1 \("web"\) repeats a client_id/ });
  t.throws(() => ClientRegistry.fromEntries({ web }, 'api'), { message: /JSON array/ });
  const dir = await tempDir(t);
  await writeFile(join(dir, 'bad.json'), '[{');
  t.throws(() => ClientRegistry.load(join(dir, 'bad.json'), 'api'), { variable: 'CLIENTS_FILE', message: /not valid JSON/ });
  t.throws(() => ClientRegistry.load(join(dir, 'missing.json'), 'api'), { variable: 'CLIENTS_FILE', message: /ENOENT/ });
});

t.test('redirect URIs: https, http on loopback, and reverse-domain private-use schemes for native apps (RFC 8252 §7)', async (t) => {
  const registry = ClientRegistry.fromEntries(
    [
      {
        client_id: 'native',
        type: 'public',
        grant_types: ['authorization_code'],
        redirect_uris: ['https://app.example/cb', 'http://127.0.0.1/cb', 'http://[::1]/cb', 'com.example.app:/oauth'],
        first_party: true,
      },
    ],
    'api',
  );
  const client = registry.get('native')!;
  t.equal(client.firstParty, true);
  t.same(client.redirectUris, ['https://app.example/cb', 'http://127.0.0.1/cb', 'http://[::1]/cb', 'com.example.app:/oauth']);
  const matches = (uri: string) => matchesRedirectUri(client.redirectUris, uri);
  t.ok(matches('https://app.example/cb'), 'exactly');
  t.ok(matches('http://127.0.0.1:53127/cb'), 'a loopback URI with any port (RFC 8252 §7.3)');
  t.ok(matches('http://[::1]:8080/cb'), 'IPv6 loopback too');
  t.ok(matches('com.example.app:/oauth'));
  for (const uri of [
    'https://app.example:8443/cb',
    'http://127.0.0.1:5000/cb/',
    'http://127.0.0.1:5000/other',
    'http://127.0.0.1:5000/cb?x=1',
    'http://127.0.0.1:5000/cb#f',
    'http://127.0.0.1:5000/x/../cb',
    'com.example.app:/oauth/x',
  ]) {
    t.notOk(matches(uri), `${uri} is refused`);
  }
});

t.test('client secrets: high-entropy, stored as sha256, compared in constant time', async (t) => {
  const secret = generateClientSecret();
  t.match(secret, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  t.not(generateClientSecret(), secret);
  const stored = hashClientSecret(secret);
  t.match(stored, /^sha256:[0-9a-f]{64}$/);
  const digest = Buffer.from(stored.slice(7), 'hex');
  t.equal(secretMatches(secret, digest), true);
  t.equal(secretMatches(`${secret}x`, digest), false);
});

t.test('authenticateClient', async (t) => {
  const secret = 'the-secret:with+odd chars';
  const registry = ClientRegistry.fromEntries(
    [
      { client_id: 'web', type: 'public', grant_types: ['password'] },
      { client_id: 'svc:1', type: 'confidential', client_secret_hash: hashClientSecret(secret), grant_types: ['client_credentials'] },
    ],
    'api',
  );
  const basic = (id: string, s: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(s)}`).toString('base64')}`;
  t.equal(authenticateClient(registry, { authorization: undefined, clientId: 'web', clientSecret: undefined }).clientId, 'web');
  t.equal(
    authenticateClient(registry, { authorization: basic('svc:1', secret), clientId: undefined, clientSecret: undefined }).clientId,
    'svc:1',
    'form-decoded id and secret in Basic',
  );
  t.equal(
    authenticateClient(registry, { authorization: `bAsIc ${basic('svc:1', secret).slice(6)}`, clientId: undefined, clientSecret: undefined }).clientId,
    'svc:1',
    'scheme is case-insensitive',
  );
  t.equal(authenticateClient(registry, { authorization: undefined, clientId: 'svc:1', clientSecret: secret }).clientId, 'svc:1');
  t.throws(() => authenticateClient(registry, { authorization: 'Basic !!!', clientId: undefined, clientSecret: undefined }), { code: 'invalid_client' });
  t.throws(
    () => authenticateClient(registry, { authorization: `Basic ${Buffer.from('svc%ZZ:x').toString('base64')}`, clientId: undefined, clientSecret: undefined }),
    { code: 'invalid_client' },
    'bad percent-encoding',
  );
  t.throws(
    () => authenticateClient(registry, { authorization: basic('svc:1', secret), clientId: 'web', clientSecret: undefined }),
    { code: 'invalid_request' },
    'two different client ids',
  );
  t.throws(
    () => authenticateClient(registry, { authorization: undefined, clientId: 'svc:1', clientSecret: undefined }),
    { code: 'invalid_client' },
    'a confidential client without its secret',
  );
});

t.test('how a client presents itself (RFC 7591 client_name, logo_uri, client_uri, policy_uri, tos_uri)', async (t) => {
  const base = { client_id: 'app', type: 'public', grant_types: ['authorization_code'], redirect_uris: ['https://app.example/cb'] };
  const display = {
    client_name: 'The App',
    logo_uri: 'https://cdn.example/logo.png',
    client_uri: 'https://app.example/',
    policy_uri: 'https://app.example/privacy',
    tos_uri: 'http://127.0.0.1:8080/terms',
  };
  t.same(ClientRegistry.fromEntries([{ ...base, ...display }], 'api').get('app')!.display, {
    name: 'The App',
    logoUri: 'https://cdn.example/logo.png',
    clientUri: 'https://app.example/',
    policyUri: 'https://app.example/privacy',
    tosUri: 'http://127.0.0.1:8080/terms',
  });
  t.same(ClientRegistry.fromEntries([base], 'api').get('app')!.display, {}, 'all optional');
  const refused: Array<[Record<string, unknown>, RegExp]> = [
    [{ logo_uri: 'javascript:alert(1)' }, /logo_uri must be an https URL/],
    [{ policy_uri: 'http://app.example/privacy' }, /policy_uri must be an https URL/],
    [{ client_uri: 'data:text/html,<script>alert(1)</script>' }, /client_uri must be an https URL/],
    [{ tos_uri: 'https://user:pw@app.example/terms' }, /tos_uri carries credentials/],
    [{ logo_uri: 'https://cdn.example/logo.png#x' }, /logo_uri has a fragment/],
    [{ logo_uri: 'logo.png' }, /logo_uri is not an absolute URL/],
    [{ client_name: 'Bank\u202e' + 'x'.repeat(100) }, /client_name must be at most 100 characters/],
    [{ client_name: 'Line\nbreak' }, /none of them control characters/],
    [{ client_name: '   ' }, /client_name must be a non-empty string/],
    [{ client_name: 42 }, /client_name must be a non-empty string/],
  ];
  for (const [fields, message] of refused) {
    t.throws(() => ClientRegistry.fromEntries([{ ...base, ...fields }], 'api'), { message }, JSON.stringify(fields));
  }
});
