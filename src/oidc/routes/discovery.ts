import type { FastifyInstance } from 'fastify';
import { supportedGrantTypes } from '../../grants/registry.js';
import type { RouteServices } from '../../services.js';
import { AUTHORIZE_PATH } from '../http/paths.js';
import { ACR_VALUES } from '../../tokens/authentication-context.js';
import { OPENID_SCOPES } from '../../tokens/scope.js';
import { DEVICE_AUTHORIZATION_PATH } from './device-authorization.js';
import { PAR_PATH } from './pushed-authorization.js';
import { ASSERTION_ALGORITHMS } from '../../clients/client-keys.js';
import { CLIENT_REGISTRATION_SCOPE, REGISTRATION_PATH } from '../../clients/dynamic-registration.js';
import { END_SESSION_PATH } from './end-session.js';
import { INTROSPECT_SCOPE } from '../../routes/introspection.js';
import { ADMIN_SCOPE } from '../../admin/admin-scope.js';
import { PUBLIC } from '../../routes/schemas.js';
import { USERINFO_CLAIMS, USERINFO_PATH } from './userinfo.js';
import { BROWSER_API } from '../../http/cors.js';
import { FAPI2_GRANTS, profileAlgorithms } from '../../clients/security-profile.js';

/** What these routes use of the services. */
export type DiscoveryServices = Pick<RouteServices, 'clientDocuments' | 'clientRegistration' | 'clients' | 'config' | 'dpop' | 'keyring'>;

/** How clients authenticate at the token, revocation and PAR endpoints (RFC 6749 §2.3, RFC 7523 §2.2). */
const CLIENT_AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** Where the service's endpoints live, relative to the issuer. */
export const ENDPOINT_PATHS = {
  token: '/oauth/token',
  jwks: '/.well-known/jwks.json',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
} as const;

/** Scopes that only the service's operators grant (to a gateway), never something an app asks a person for. */
const PRIVILEGED_SCOPES = new Set([INTROSPECT_SCOPE, ADMIN_SCOPE, CLIENT_REGISTRATION_SCOPE]);

/**
 * scopes_supported (RFC 8414 §2, OpenID Connect Discovery 1.0 §3): the OpenID scopes and those of the clients that
 * ask a person in a browser (authorization_code, device code); never a service-to-service client's internal scopes, nor a privileged one.
 */
function scopesSupported(services: DiscoveryServices): string[] {
  return [...new Set([...OPENID_SCOPES, ...services.clients.browserScopes()])].filter((scope) => !PRIVILEGED_SCOPES.has(scope)).sort();
}

/** The claims an ID token carries (OpenID Connect Core §2), beside UserInfo's. */
const ID_TOKEN_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'at_hash', 'amr', 'acr'];

/** The RFC 8414 authorization server metadata of this service, which is also its OpenID Connect Discovery 1.0 metadata. */
export function serverMetadata(services: DiscoveryServices): Record<string, unknown> {
  const { issuer, profile } = services.config;
  // Under PROFILE=fapi2 only private_key_jwt, the code grant and FAPI 2.0's algorithms are served: listed exactly so.
  const authMethods = profile === 'fapi2' ? ['private_key_jwt'] : CLIENT_AUTH_METHODS;
  const assertionAlgorithms = profileAlgorithms(profile, ASSERTION_ALGORITHMS);
  return {
    issuer,
    authorization_endpoint: issuer + AUTHORIZE_PATH,
    token_endpoint: issuer + ENDPOINT_PATHS.token,
    // RFC 8628 §4; no client may use the device grant under PROFILE=fapi2.
    ...(profile === 'fapi2' ? {} : { device_authorization_endpoint: issuer + DEVICE_AUTHORIZATION_PATH }),
    // RFC 9126 §5.
    pushed_authorization_request_endpoint: issuer + PAR_PATH,
    require_pushed_authorization_requests: services.config.requirePushedAuthorizationRequests,
    jwks_uri: issuer + ENDPOINT_PATHS.jwks,
    grant_types_supported: profile === 'fapi2' ? [...FAPI2_GRANTS] : supportedGrantTypes(),
    // RFC 8414 §2: private_key_jwt (RFC 7523) beside the secrets, with the algorithms an assertion may use.
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    revocation_endpoint: issuer + ENDPOINT_PATHS.revocation,
    revocation_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    introspection_endpoint: issuer + ENDPOINT_PATHS.introspection,
    introspection_endpoint_auth_methods_supported: authMethods.filter((method) => method !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    scopes_supported: scopesSupported(services),
    // RFC 9449 §5.1: the algorithms a DPoP proof may be signed with.
    dpop_signing_alg_values_supported: [...services.dpop.algorithms],
    // RFC 8414 §2 and RFC 7591 §3: only while registration is offered.
    ...(services.clientRegistration.policy === 'closed' ? {} : { registration_endpoint: issuer + REGISTRATION_PATH }),
    // draft-ietf-oauth-client-id-metadata-document: an https client_id names its metadata.
    ...(services.clientDocuments.enabled ? { client_id_metadata_document_supported: true } : {}),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    userinfo_endpoint: issuer + USERINFO_PATH,
    end_session_endpoint: issuer + END_SESSION_PATH,
    subject_types_supported: ['public'],
    // The algorithms of the published keys (RS256, ES256 or both while one replaces the other): ID tokens and access
    // tokens are signed with one of them. OpenID Connect Discovery 1.0 §3 wants RS256 listed, as it is by default.
    id_token_signing_alg_values_supported: services.keyring.algorithms(),
    claims_supported: [...new Set([...USERINFO_CLAIMS, ...ID_TOKEN_CLAIMS])],
    // OpenID Connect Discovery 1.0 §3: the authentication context classes an ID token's acr may name.
    acr_values_supported: [...ACR_VALUES],
  };
}

const metadataSchema = {
  type: 'object',
  description: 'Authorization server metadata (RFC 8414 §2).',
  required: [
    'issuer',
    'authorization_endpoint',
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
    device_authorization_endpoint: { type: 'string' },
    pushed_authorization_request_endpoint: { type: 'string' },
    require_pushed_authorization_requests: { type: 'boolean' },
    jwks_uri: { type: 'string' },
    grant_types_supported: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_signing_alg_values_supported: { type: 'array', items: { type: 'string' } },
    revocation_endpoint_auth_signing_alg_values_supported: { type: 'array', items: { type: 'string' } },
    introspection_endpoint_auth_signing_alg_values_supported: { type: 'array', items: { type: 'string' } },
    revocation_endpoint: { type: 'string' },
    revocation_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    introspection_endpoint: { type: 'string' },
    introspection_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    scopes_supported: { type: 'array', items: { type: 'string' } },
    dpop_signing_alg_values_supported: { type: 'array', items: { type: 'string' } },
    response_types_supported: { type: 'array', items: { type: 'string' } },
    authorization_endpoint: { type: 'string' },
    response_modes_supported: { type: 'array', items: { type: 'string' } },
    code_challenge_methods_supported: { type: 'array', items: { type: 'string' } },
    authorization_response_iss_parameter_supported: { type: 'boolean' },
    userinfo_endpoint: { type: 'string' },
    registration_endpoint: { type: 'string' },
    client_id_metadata_document_supported: { type: 'boolean' },
    end_session_endpoint: { type: 'string' },
    subject_types_supported: { type: 'array', items: { type: 'string' } },
    id_token_signing_alg_values_supported: { type: 'array', items: { type: 'string' } },
    claims_supported: { type: 'array', items: { type: 'string' } },
    acr_values_supported: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** The metadata document at its RFC 8414 path and at the OpenID Connect discovery path. */
export async function discoveryRoutes(app: FastifyInstance, services: DiscoveryServices): Promise<void> {
  // Serialized again only when what can change while the service runs does: the published keys' algorithms (a key
  // of another algorithm published or gone) and the browser clients' scopes (a client registered through the admin API).
  let cached = { version: '', body: '' };
  const document = (): string => {
    const version = `${services.keyring.algorithms().join(' ')}|${services.clients.browserScopes().join(' ')}`;
    if (version !== cached.version) cached = { version, body: JSON.stringify(serverMetadata(services)) };
    return cached.body;
  };
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(
      url,
      {
        schema: {
          summary: 'Server metadata',
          description: 'RFC 8414 authorization server metadata; the same document is the OpenID Connect Discovery 1.0 metadata.',
          tags: ['discovery'],
          security: PUBLIC,
          response: { 200: metadataSchema },
        },
        config: BROWSER_API,
      },
      async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('application/json; charset=utf-8').send(document()),
    );
  }
}
