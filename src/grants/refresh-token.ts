import type { Client } from '../clients/client.js';
import { originContext } from '../audit/audit-log.js';
import { grantScope, narrowedScope } from '../tokens/scope.js';
import { SCOPE_PARAMETER, type Grant, type GrantResult, type GrantServices, type TokenParams } from './grant.js';
import type { RequestOrigin } from '../request-origin.js';
import { sessionTokenResponse } from './token-response.js';

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
  },
  required: ['refresh_token'],

  async handle(params: TokenParams, client: Client, origin: RequestOrigin, services: GrantServices): Promise<GrantResult> {
    // RFC 6749 §6: a scope beyond the original grant is invalid_scope. It is checked before rotating, so that a
    // refused request does not spend the token; without a scope parameter this costs no extra store read.
    if (params.scope !== undefined) await services.sessions.checkScope(params.refresh_token!, client, params.scope);
    const context = originContext(origin);
    const { session, refreshToken } = await services.sessions.refresh(params.refresh_token!, client, context);
    // The session's grant as the client holds it now: a scope removed from the client since is not granted again.
    const scope = grantScope(narrowedScope(session.scope, client.scopes), params.scope);
    const result = await sessionTokenResponse(services, client, session, scope, refreshToken);
    services.sessions.delivered(session, refreshToken!);
    services.audit.emit({ event: 'token_refreshed', ...context, user_id: session.userId, client_id: client.clientId, sid: session.sid });
    return result;
  },
};
