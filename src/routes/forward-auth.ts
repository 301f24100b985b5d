import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauthError } from '../errors.js';
import { scopeTokens } from '../grants/scope.js';
import { challenge, invalidToken, verifiedBearer } from '../http/bearer.js';
import { isRevokedFast } from '../revocation/check.js';
import type { Services } from '../services.js';
import type { AccessTokenClaims } from '../tokens/verify.js';
import { errorResponses, noStore } from './schemas.js';

/** The methods a gateway may forward: the original request's method (Envoy) or GET (nginx, Traefik). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

// Claims copied into headers must be visible ASCII: no CR/LF (header injection) and nothing a proxy could misread.
const HEADER_SAFE = /^[\x20-\x7e]*$/;

interface Requirements {
  scope?: string;
  audience?: string;
}

const forwardAuthSchema = {
  summary: 'Forward-auth for API gateways',
  description:
    'For nginx auth_request, Traefik ForwardAuth and Envoy ext_authz. Reads Authorization: Bearer (never the query string). 200 with X-Auth-Subject, X-Auth-Client-Id, X-Auth-Scope and X-Auth-Session for a valid, unexpired, unrevoked token; 401 without a valid token; 403 when a required scope (?scope=a+b or X-Required-Scope) or audience (?audience=x) is missing. Any trailing path is accepted (Envoy appends the original path).',
  tags: ['gateway'],
  security: [{ bearerAuth: [] }],
  querystring: {
    type: 'object',
    properties: {
      scope: { type: 'string', maxLength: 1024, description: 'Space-separated scopes the token must all have.' },
      audience: { type: 'string', maxLength: 256, description: 'An audience the token must have.' },
    },
  },
  response: {
    200: { description: 'Allowed; the X-Auth-* headers describe the caller', type: 'null' },
    ...errorResponses(400, 401, 403, 503),
  },
};

function requiredScopes(request: FastifyRequest<{ Querystring: Requirements }>): string[] {
  const header = request.headers['x-required-scope'];
  const fromHeader = typeof header === 'string' ? header : '';
  const tokens = scopeTokens(`${request.query.scope ?? ''} ${fromHeader}`);
  if (!tokens) throw oauthError('invalid_request', 'the required scope is malformed');
  return tokens;
}

function assertRequirements(claims: AccessTokenClaims, scopes: string[], audience: string | undefined): void {
  const granted = new Set(claims.scope.split(' '));
  const missing = scopes.filter((scope) => !granted.has(scope));
  if (missing.length > 0) throw oauthError('insufficient_scope', `the token lacks scope: ${missing.join(' ')}`, challenge('insufficient_scope', scopes.join(' ')));
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audience !== undefined && !audiences.includes(audience)) throw oauthError('insufficient_scope', 'the token is not for this audience', challenge('insufficient_scope'));
}

/** GET|POST|… /forward-auth[/*]: one verification from keys and revocation lists held in memory. */
export async function forwardAuthRoutes(app: FastifyInstance, services: Services): Promise<void> {
  // Gateways may forward a body of any type; it is never read, so no parser can fail on it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const handler = async (request: FastifyRequest<{ Querystring: Requirements }>, reply: FastifyReply) => {
    const scopes = requiredScopes(request);
    const claims = await verifiedBearer(request, services);
    const headers = { 'x-auth-subject': claims.sub, 'x-auth-client-id': claims.client_id, 'x-auth-scope': claims.scope, 'x-auth-session': claims.sid ?? '' };
    if (!Object.values(headers).every((value) => HEADER_SAFE.test(value))) throw invalidToken();
    if (await isRevokedFast(claims, services)) throw invalidToken();
    assertRequirements(claims, scopes, request.query.audience);
    if (claims.sid === undefined) delete (headers as Partial<typeof headers>)['x-auth-session'];
    return reply.code(200).headers(headers).send();
  };

  for (const url of ['/forward-auth', '/forward-auth/*']) {
    app.route({ method: [...METHODS], url, schema: forwardAuthSchema, onSend: noStore, handler });
  }
}
