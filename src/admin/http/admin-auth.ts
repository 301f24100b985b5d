import type { FastifyRequest } from 'fastify';
import type { AdminActor } from '../actor.js';
import { ADMIN_SCOPE } from '../admin-scope.js';
import { oauthError } from '../../errors.js';
import type { Services } from '../../services.js';
import { challenge, invalidToken, verifiedBearer } from '../../http/bearer.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who calls the admin API (authenticateAdmin), once authenticated. */
    admin?: AdminActor;
  }
}

/** Who calls an admin route: authenticateAdmin set it in the admin app's onRequest hook. */
export function adminActor(request: FastifyRequest): AdminActor {
  return request.admin!;
}

function insufficient(description: string) {
  return oauthError('insufficient_scope', description, challenge('insufficient_scope', ADMIN_SCOPE));
}

/** What authenticating an admin API call uses of the services. */
export type AdminAuthServices = Pick<Services, 'verifiedTokens' | 'accessTokens' | 'tokenAcceptance' | 'dpop' | 'config'>;

/**
 * Authenticates an admin API call (RFC 6750): an access token of this service, verified strictly, not revoked, of a
 * client that is still registered (a deleted client's tokens fail here at once), issued by client_credentials (a
 * client's own token: no user session), carrying the `admin` scope that the client is still allowed. 401
 * invalid_token for a token that fails; 403 insufficient_scope for a valid token without that right.
 */
export async function authenticateAdmin(request: FastifyRequest, services: AdminAuthServices): Promise<AdminActor> {
  const claims = await verifiedBearer(request, services);
  const verdict = await services.tokenAcceptance.judge(claims, { revocation: 'store', holder: 'client', scopes: [ADMIN_SCOPE] });
  if (!verdict.accepted && verdict.refusal === 'not_a_client_token') throw insufficient('the admin API takes a client_credentials token, not a user token');
  if (!verdict.accepted && verdict.refusal === 'insufficient_scope') throw insufficient('the token lacks the admin scope');
  if (!verdict.accepted) throw invalidToken();
  return { via: 'api', clientId: claims.client_id, ip: request.ip };
}
