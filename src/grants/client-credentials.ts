import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import { issueAccessToken, tokenTypeOf } from '../tokens/access-token.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import { SCOPE_PARAMETER, type Grant, type GrantResult, type GrantServices, type TokenParams } from './grant.js';
import type { RequestOrigin } from '../request-origin.js';
import { audienceOf } from './token-response.js';

/**
 * The audience a service asks for: `audience`, or RFC 8707 `resource`, one the client may name (ResourceRegistry:
 * its own audiences or a registered resource that lets it ask; invalid_target otherwise); with neither, all of its own.
 */
function requestedAudience(client: Client, params: TokenParams, resources: ResourceRegistry): string | undefined {
  const { audience, resource } = params;
  if (audience !== undefined && resource !== undefined && audience !== resource) throw oauthError('invalid_request', 'audience and resource differ');
  const wanted = audience ?? resource;
  return wanted === undefined ? undefined : resources.targetFor(client, wanted);
}

/**
 * The client_credentials grant (RFC 6749 §4.4): a service's own token, sub = client_id. Only
 * confidential clients reach it (the registry refuses it to public ones). The hot path of
 * service-to-service traffic: a SHA-256 secret check, an in-memory key, no store round trip.
 */
export const clientCredentialsGrant: Grant<'client_credentials'> = {
  type: 'client_credentials',
  limits: ['tokenIp'],
  readsRefreshCookie: false,
  parameters: {
    audience: { type: 'string', maxLength: 256, description: "One of the client's audiences; all of them when absent." },
    resource: {
      type: 'string',
      maxLength: 256,
      description: 'RFC 8707 resource indicator: one of the client’s audiences or a registered resource it may ask for (RESOURCES_FILE).',
    },
    scope: SCOPE_PARAMETER,
  },
  required: [],

  async handle(params: TokenParams, client: Client, _origin: RequestOrigin, services: GrantServices, dpopJkt: string | undefined): Promise<GrantResult> {
    if (client.type !== 'confidential') throw oauthError('unauthorized_client', 'only confidential clients may use client_credentials');
    const target = requestedAudience(client, params, services.resources);
    const scope = services.resources.grantScope(client, target, params.scope);
    const access = await issueAccessToken(services.accessTokens, {
      subject: client.clientId,
      clientId: client.clientId,
      audience: target ?? audienceOf(client),
      scope,
      dpopJkt,
    });
    // RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
    return { response: { access_token: access.token, token_type: tokenTypeOf(dpopJkt), expires_in: access.expiresIn, scope } };
  },
};
