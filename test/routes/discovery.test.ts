import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

t.test('RFC 8414 metadata at both well-known paths', async (t) => {
  const { app, config } = await buildTestApp(t, {
    clients: [
      { client_id: 'web', type: 'public', grant_types: ['password'], scope: 'profile orders:read' },
      { client_id: 'svc', type: 'confidential', client_secret_hash: `sha256:${'0'.repeat(64)}`, grant_types: ['client_credentials'], scope: 'orders:write' },
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
  t.same(metadata.grant_types_supported, ['password', 'refresh_token', 'client_credentials']);
  t.equal(metadata.revocation_endpoint, `${config.issuer}/oauth/revoke`);
  t.same(metadata.revocation_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post']);
  t.equal(metadata.introspection_endpoint, `${config.issuer}/oauth/introspect`);
  t.same(metadata.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
  t.same(metadata.token_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post']);
  t.same(metadata.scopes_supported, ['orders:read', 'orders:write', 'profile']);
  t.same(metadata.response_types_supported, []);
});
