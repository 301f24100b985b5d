import type { FastifyInstance } from 'fastify';
import { supportedGrantTypes } from '../grants/registry.js';
import type { Services } from '../services.js';
import { PUBLIC } from './schemas.js';

/** Where the service's endpoints live, relative to the issuer. */
export const ENDPOINT_PATHS = {
  token: '/oauth/token',
  jwks: '/.well-known/jwks.json',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
} as const;

/** The RFC 8414 authorization server metadata of this service. */
export function serverMetadata(services: Services): Record<string, unknown> {
  const { issuer } = services.config;
  return {
    issuer,
    token_endpoint: issuer + ENDPOINT_PATHS.token,
    jwks_uri: issuer + ENDPOINT_PATHS.jwks,
    grant_types_supported: supportedGrantTypes(),
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint: issuer + ENDPOINT_PATHS.revocation,
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    introspection_endpoint: issuer + ENDPOINT_PATHS.introspection,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: services.clients.allScopes(),
    // RFC 8414 §2 requires the member; there is no authorization endpoint, so no response type.
    response_types_supported: [],
  };
}

const metadataSchema = {
  type: 'object',
  description: 'Authorization server metadata (RFC 8414 §2).',
  required: [
    'issuer',
    'token_endpoint',
    'jwks_uri',
    'revocation_endpoint',
    'introspection_endpoint',
    'grant_types_supported',
    'token_endpoint_auth_methods_supported',
    'scopes_supported',
    'response_types_supported',
  ],
  properties: {
    issuer: { type: 'string' },
    token_endpoint: { type: 'string' },
    jwks_uri: { type: 'string' },
    grant_types_supported: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    revocation_endpoint: { type: 'string' },
    revocation_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    introspection_endpoint: { type: 'string' },
    introspection_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    scopes_supported: { type: 'array', items: { type: 'string' } },
    response_types_supported: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** The metadata document at its RFC 8414 path and at the OpenID Connect discovery path. */
export async function discoveryRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const body = JSON.stringify(serverMetadata(services));
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(
      url,
      {
        schema: {
          summary: 'Server metadata',
          description: 'RFC 8414 authorization server metadata.',
          tags: ['discovery'],
          security: PUBLIC,
          response: { 200: metadataSchema },
        },
      },
      async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('application/json; charset=utf-8').send(body),
    );
  }
}
