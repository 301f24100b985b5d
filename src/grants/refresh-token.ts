import type { Client } from '../clients/client.js';
import { originContext } from '../audit/audit-log.js';
import { grantScope, narrowedScope } from '../tokens/scope.js';
import { SCOPE_PARAMETER, type Grant, type GrantResult, type GrantServices, type TokenParams } from './grant.js';
import type { RequestOrigin } from '../request-origin.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import type { SessionRecord } from '../store/types.js';
import { sessionTokenResponse } from './token-response.js';

/**
 * The resource and scope of the access token a refresh asks for, within the session's grant: the session's resource
 * or a narrower one, still open to the client (ResourceRegistry.targetWithin); the session's scope as the client holds it now (a scope removed from the client
 * since is not granted again), as far as that resource accepts it.
 */
function refreshedGrant(
  session: SessionRecord,
  client: Client,
  params: TokenParams,
  resources: ResourceRegistry,
): { target: string | undefined; scope: string } {
  const target = resources.targetWithin(session.resource, client, params.resource);
  return { target, scope: grantScope(resources.scopeWithin(target, narrowedScope(session.scope, client.scopes)), params.scope) };
}

/**
 * The refresh_token grant (RFC 6749 §6) with rotation: every use returns a new refresh token and
 * spends the old one. The scope may narrow for the new access token; the session keeps its grant, less any scope
 * the client has lost since.
 * For cookie clients the token route takes the refresh token from the cookie.
 */
export const refreshTokenGrant: Grant<'refresh_token'> = {
  type: 'refresh_token',
  limits: ['tokenIp'],
  readsRefreshCookie: true,
  parameters: {
    refresh_token: { type: 'string', maxLength: 512, description: 'The refresh token; cookie clients send it as the cookie instead.' },
    scope: SCOPE_PARAMETER,
    resource: {
      type: 'string',
      maxLength: 256,
      description:
        'RFC 8707 resource indicator: the session’s own resource, or one of the client’s audiences when the session names none (narrowing, never widening).',
    },
  },
  required: ['refresh_token'],

  async handle(params: TokenParams, client: Client, origin: RequestOrigin, services: GrantServices, dpopJkt: string | undefined): Promise<GrantResult> {
    // RFC 6749 §6 and RFC 8707 §2.2: a scope or a resource beyond the original grant is invalid_scope or
    // invalid_target. They are checked before rotating, so that a refused request does not spend the token; without
    // either parameter this costs no extra store read.
    if (params.scope !== undefined || params.resource !== undefined) {
      await services.sessions.checkBeforeRefresh(params.refresh_token!, client, (session) => refreshedGrant(session, client, params, services.resources));
    }
    const context = originContext(origin);
    const { session, refreshToken } = await services.sessions.refresh(params.refresh_token!, client, context, dpopJkt);
    const { target, scope } = refreshedGrant(session, client, params, services.resources);
    const result = await sessionTokenResponse(services, client, session, { scope, target }, refreshToken, dpopJkt);
    services.sessions.delivered(session, refreshToken!);
    services.audit.emit({ event: 'token_refreshed', ...context, user_id: session.userId, client_id: client.clientId, sid: session.sid });
    return result;
  },
};
