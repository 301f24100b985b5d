import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import { issueAccessToken } from '../tokens/access-token.js';
import { grantScope } from '../tokens/scope.js';
import { SCOPE_PARAMETER, type Grant, type GrantResult, type GrantServices, type TokenParams } from './grant.js';
import type { RequestOrigin } from '../request-origin.js';
import { audienceOf } from './token-response.js';

/**
 * The audience a service asks for: `audience`, or RFC 8707 `resource`, must be one of the client's
 * (invalid_target otherwise); with neither, all of them.
 */
function requestedAudience(client: Client, params: TokenParams): string | string[] {
  const { audience, resource } = params;
  if (audience !== undefined && resource !== undefined && audience !== resource) throw oauthError('invalid_request', 'audience and resource differ');
  const wanted = audience ?? resource;
  if (wanted === undefined) return audienceOf(client);
  if (!client.audience.includes(wanted)) throw oauthError('invalid_target', 'the requested audience is not allowed for this client');
  return wanted;
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
    resource: { type: 'string', maxLength: 256, description: 'RFC 8707 resource indicator, the same as audience.' },
    scope: SCOPE_PARAMETER,
  },
  required: [],

  async handle(params: TokenParams, client: Client, _origin: RequestOrigin, services: GrantServices): Promise<GrantResult> {
    if (client.type !== 'confidential') throw oauthError('unauthorized_client', 'only confidential clients may use client_credentials');
    const scope = grantScope(client.scopes, params.scope);
    const audience = requestedAudience(client, params);
    const access = await issueAccessToken(services.accessTokens, { subject: client.clientId, clientId: client.clientId, audience, scope });
    // RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
    return { response: { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope } };
  },
};
