// node-oidc-provider, the peer of the benchmarks: client_credentials issuing RS256 JWT access tokens, and
// introspection, on its in-memory adapter, in a process of its own. Usage: node bench/peer-oidc-provider.mjs PORT
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'bench' };

const provider = new Provider(issuer, {
  ttl: { ClientCredentials: 900 },
  clients: [
    {
      client_id: 'bench-svc',
      client_secret: 'bench-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['orders:read'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://orders.example',
      useGrantedResource: () => true,
      // node-oidc-provider cannot introspect its JWT access tokens ("Structured JWT Tokens cannot be introspected"),
      // so the introspection scenario asks it for an opaque token, the kind it can introspect.
      getResourceServerInfo: (_ctx, resource) =>
        resource === 'https://opaque.example'
          ? { scope: 'orders:read', audience: 'orders-api', accessTokenTTL: 900, accessTokenFormat: 'opaque' }
          : { scope: 'orders:read', audience: 'orders-api', accessTokenTTL: 900, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
    },
  },
});
provider.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
