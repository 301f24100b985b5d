import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateClient } from '../clients/authenticate.js';
import { oauthError } from '../errors.js';
import { grantParameters, GRANTS } from '../grants/registry.js';
import type { TokenParams } from '../grants/grant.js';
import type { Services } from '../services.js';
import { errorResponses, NO_STORE_HEADERS } from './schemas.js';

const tokenBodySchema = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string', maxLength: 64, description: 'The grant type (RFC 6749 §4).' },
    client_id: { type: 'string', maxLength: 128, description: 'The client; for confidential clients, or use HTTP Basic.' },
    client_secret: { type: 'string', maxLength: 512, description: 'client_secret_post (RFC 6749 §2.3.1); not together with HTTP Basic.' },
    ...grantParameters(),
  },
} as const;

const tokenResponseSchema = {
  type: 'object',
  description: 'An access token (RFC 6749 §5.1), an RS256 JWT (RFC 9068).',
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer' },
    scope: { type: 'string' },
    refresh_token: { type: 'string' },
  },
} as const;

function requireParameters(params: TokenParams, names: readonly string[]): void {
  const missing = names.filter((name) => params[name] === undefined || params[name] === '');
  if (missing.length > 0) throw oauthError('invalid_request', `missing parameter: ${missing.join(', ')}`);
}

/** POST /oauth/token: the token endpoint (RFC 6749 §3.2), dispatching to the grant registry. */
export async function tokenRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.post(
    '/oauth/token',
    {
      schema: {
        summary: 'Issue tokens',
        description: 'The token endpoint (RFC 6749 §3.2). Grants: password (first-party clients only).',
        tags: ['oauth'],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: tokenBodySchema,
        response: { 200: tokenResponseSchema, ...errorResponses(400, 401, 413, 415, 503) },
      },
      onSend: async (_request, reply) => {
        reply.headers(NO_STORE_HEADERS);
      },
    },
    async (request: FastifyRequest<{ Body: TokenParams }>) => {
      const params = request.body;
      const client = authenticateClient(services.clients, {
        authorization: request.headers.authorization,
        clientId: params.client_id,
        clientSecret: params.client_secret,
      });
      const grant = GRANTS.get(params.grant_type!);
      if (!grant) throw oauthError('unsupported_grant_type', 'grant_type is not supported');
      if (!client.grantTypes.has(grant.type)) throw oauthError('unauthorized_client', `this client may not use the ${grant.type} grant`);
      requireParameters(params, grant.required);
      return grant.handle(params, client, { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' }, services);
    },
  );
}
