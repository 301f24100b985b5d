import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

t.test('RFC 8414 metadata at both well-known paths', async (t) => {
  const { app, config } = await buildTestApp(t, {
    clients: [
      { client_id: 'web', type: 'public', grant_types: ['password'], scope: 'profile orders:read' },
      { client_id: 'svc', type: 'confidential', client_secret_hash: `sha256:${'0'.repeat(64)}`, grant_types: ['client_credentials'], scope: 'orders:write' },
      { client_id: 'gateway', type: 'confidential', client_secret_hash: `sha256:${'0'.repeat(64)}`, grant_types: ['client_credentials'], scope: 'introspect' },
    ],
  });
  const first = await app.inject({ url: '/.well-known/oauth-authorization-server' });
  const second = await app.inject({ url: '/.well-known/openid-configuration' });
  t.equal(first.statusCode, 200);
  t.match(first.headers['content-type'], /^application\/json/);
  t.equal(second.body, first.body, 'the same document at both paths');
  const metadata = first.json();
  t.equal(metadata.issuer, config.issuer, 'issuer is exactly the configured ISSUER (RFC 8414 §3.3)');
  t.equal(metadata.token_endpoint, `${config.issuer}/oauth/token`);
  t.equal(metadata.jwks_uri, `${config.issuer}/.well-known/jwks.json`);
  t.same(metadata.grant_types_supported, [
    'authorization_code',
    'password',
    'refresh_token',
    'client_credentials',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:token-exchange',
  ]);
  t.equal(metadata.device_authorization_endpoint, `${config.issuer}/oauth/device_authorization`, 'RFC 8628 §4');
  t.equal(metadata.authorization_endpoint, `${config.issuer}/oauth/authorize`);
  t.equal(metadata.revocation_endpoint, `${config.issuer}/oauth/revoke`);
  t.same(metadata.revocation_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  t.equal(metadata.introspection_endpoint, `${config.issuer}/oauth/introspect`);
  t.same(metadata.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  t.same(metadata.token_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  t.same(metadata.token_endpoint_auth_signing_alg_values_supported, ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'], 'asymmetric assertions only (RFC 7523)');
  t.same(metadata.scopes_supported, ['email', 'openid', 'profile'], 'the OpenID scopes; no client here asks in a browser, so none of their scopes');
  t.same(metadata.response_types_supported, ['code']);
  t.same(metadata.code_challenge_methods_supported, ['S256'], 'PKCE, S256 only (RFC 8414 §2, RFC 7636)');
  t.equal(metadata.authorization_response_iss_parameter_supported, true, 'RFC 9207 §3');
  // OpenID Connect Discovery 1.0 §3
  t.equal(metadata.userinfo_endpoint, `${config.issuer}/userinfo`);
  t.same(metadata.subject_types_supported, ['public']);
  t.same(metadata.id_token_signing_alg_values_supported, ['RS256']);
  t.ok(metadata.claims_supported.includes('preferred_username') && metadata.claims_supported.includes('sub'));
});
