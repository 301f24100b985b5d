import { requestContext } from '../audit/audit-log.js';
import type { FastifyInstance } from 'fastify';
import { type ClientAuthParams, type ClientAuthServices, requestClient } from '../http/client-auth.js';
import type { RouteServices } from '../services.js';
import { CLIENT_AUTHENTICATION, errorResponses, FORM_OR_JSON, noStore, presentedTokenBody } from './schemas.js';
import { BROWSER_API } from '../http/cors.js';

/** What these routes use of the services. */
export type RevocationServices = Pick<RouteServices, 'limit' | 'tokenRevocation'> & ClientAuthServices;

interface RevokeBody extends ClientAuthParams {
  token: string;
  token_type_hint?: string;
}

const revokeSchema = {
  summary: 'Revoke a token',
  security: CLIENT_AUTHENTICATION,
  description:
    "RFC 7009. A refresh token ends its session; an access token goes on a denylist until it expires. Only the client a token was issued to can revoke it; anything else (unknown, expired, already revoked, another client's, malformed) answers 200 and changes nothing (RFC 7009 §2.2).",
  tags: ['oauth'],
  consumes: FORM_OR_JSON,
  body: presentedTokenBody('revoke'),
  response: { 200: { description: 'Revoked, or nothing to revoke', type: 'null' }, ...errorResponses(400, 401, 413, 415, 503) },
};

/** POST /oauth/revoke (RFC 7009). */
export async function revocationRoutes(app: FastifyInstance, services: RevocationServices): Promise<void> {
  app.post<{ Body: RevokeBody }>(
    '/oauth/revoke',
    {
      schema: revokeSchema,
      onSend: noStore,
      config: BROWSER_API,
    },
    async (request, reply) => {
      await services.limit('otherIp', request);
      const client = await requestClient(services, request, request.body);
      await services.tokenRevocation.revoke(request.body.token, client, requestContext(request));
      return reply.code(200).send();
    },
  );
}
