import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateUser, insufficientScope, type BearerServices } from '../../http/bearer.js';
import type { RouteServices } from '../../services.js';
import { emailClaims } from '../../tokens/id-token.js';
import { errorResponses, noStore } from '../../routes/schemas.js';
import { BROWSER_API } from '../../http/cors.js';

/** What these routes use of the services. */
export type UserinfoServices = Pick<RouteServices, 'limit'> & BearerServices;

/** Where the UserInfo endpoint lives. */
export const USERINFO_PATH = '/userinfo';

/** The claims the UserInfo endpoint may return, for the discovery document. */
export const USERINFO_CLAIMS = ['sub', 'preferred_username', 'email', 'email_verified'] as const;

const userinfoSchema = {
  summary: 'UserInfo',
  description:
    'OpenID Connect Core §5.3: the signed-in person the access token (with the openid scope) speaks for: sub, preferred_username with the profile scope, and email and email_verified with the email scope (OpenID Connect Core §5.4) when the account has an address.',
  tags: ['openid'],
  security: [{ bearerAuth: [] }],
  response: {
    200: {
      type: 'object',
      description: 'The claims the token\u2019s scopes allow.',
      required: ['sub'],
      properties: { sub: { type: 'string' }, preferred_username: { type: 'string' }, email: { type: 'string' }, email_verified: { type: 'boolean' } },
    },
    ...errorResponses(400, 401, 403, 503),
  },
};

/** GET and POST /userinfo (OpenID Connect Core §5.3), behind a bearer access token carrying the openid scope. */
export async function userinfoRoutes(app: FastifyInstance, services: UserinfoServices): Promise<void> {
  const handler = async (request: FastifyRequest) => {
    await services.limit('otherIp', request);
    const { scopes, user } = await authenticateUser(request, services);
    // OpenID Connect Core §5.3.3: a token without openid is insufficient_scope (RFC 6750 §3.1).
    if (!scopes.includes('openid')) throw insufficientScope('openid');
    return { sub: user.id, ...(scopes.includes('profile') ? { preferred_username: user.username } : {}), ...emailClaims(user, scopes) };
  };
  app.get(USERINFO_PATH, { schema: userinfoSchema, onSend: noStore, config: BROWSER_API }, handler);
  app.post(USERINFO_PATH, { schema: { ...userinfoSchema, summary: 'UserInfo (POST)' }, onSend: noStore, config: BROWSER_API }, handler);
}
