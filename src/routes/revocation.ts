import { requestContext } from '../audit/audit-log.js';
import type { FastifyInstance } from 'fastify';
import { requestClient, type ClientAuthParams } from '../http/client-auth.js';
import type { Services } from '../services.js';
import { inspectToken } from '../tokens/inspect.js';
import { CLIENT_AUTHENTICATION, errorResponses, FORM_OR_JSON, noStore, presentedTokenBody } from './schemas.js';
import { BROWSER_API } from '../http/cors.js';

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
export async function revocationRoutes(app: FastifyInstance, services: Services): Promise<void> {
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
      const found = await inspectToken(request.body.token, services.sessions, services.verifiedTokens, services.accessTokens);
      const context = { ...requestContext(request), client_id: client.clientId };
      if (found?.kind === 'access_token' && found.claims.client_id === client.clientId) {
        await services.revocations.revokeAccessToken(found.claims);
        // A service's own token (no sid) has the client as its subject: no user to name.
        const user = found.claims.sid === undefined ? {} : { user_id: found.claims.sub, sid: found.claims.sid };
        services.audit.emit({ event: 'token_revoked', token_type: 'access_token', ...context, ...user });
      }
      if (found?.kind === 'refresh_token' && found.current && found.session.clientId === client.clientId) {
        await services.sessions.end(found.session.sid);
        services.audit.emit({ event: 'token_revoked', token_type: 'refresh_token', ...context, user_id: found.session.userId, sid: found.session.sid });
      }
      return reply.code(200).send();
    },
  );
}
