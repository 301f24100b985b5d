import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauthError } from '../errors.js';
import { scopeTokens } from '../tokens/scope.js';
import { challenge, invalidToken, verifiedBearer } from '../http/bearer.js';
import type { Services } from '../services.js';
import type { AccessTokenClaims } from '../tokens/verify.js';
import { errorResponses, noStore } from './schemas.js';

/** The methods a gateway may forward: the original request's method (Envoy) or GET (nginx, Traefik). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

// Claims copied into headers must be visible ASCII: no CR/LF (header injection) and nothing a proxy could misread.
const HEADER_SAFE = /^[\x20-\x7e]*$/;

interface Requirements {
  scope?: string;
  aud?: string;
  /** The older name of `aud`. */
  audience?: string;
}

const forwardAuthSchema = {
  summary: 'Forward-auth for API gateways',
  description:
    'For nginx auth_request and Traefik ForwardAuth. Reads Authorization: Bearer (never the query string). 200 with every identity header (X-Auth-Subject, X-Auth-Client-Id, X-Auth-Scope, X-Auth-Session; empty where one does not apply, so a gateway that copies them overwrites whatever the client sent) for a valid, unexpired, unrevoked token; 401 without a valid token, and 401 invalid_token for a token of another audience (?aud=x or X-Required-Audience; RFC 6750 §3.1); 403 when a required scope (?scope=a+b or X-Required-Scope) is missing. Any other query parameter (a misspelled rule) is 400, so a misconfigured gateway fails closed.',
  tags: ['gateway'],
  security: [{ bearerAuth: [] }],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      scope: { type: 'string', maxLength: 1024, description: 'Space-separated scopes the token must all have.' },
      aud: { type: 'string', maxLength: 256, description: 'An audience the token must have (its `aud` claim); another is 401 invalid_token.' },
      audience: { type: 'string', maxLength: 256, description: 'The older name of `aud`; the same rule.' },
    },
  },
  response: {
    200: { description: 'Allowed; the X-Auth-* headers describe the caller', type: 'null' },
    ...errorResponses(400, 401, 403, 503),
  },
};

const { querystring: _gatewayQuery, ...withoutQuery } = forwardAuthSchema;
const forwardAuthPathSchema = {
  ...withoutQuery,
  summary: 'Forward-auth for Envoy ext_authz',
  description:
    "As /forward-auth, for gateways that append the original request path (Envoy ext_authz). The query string is the original request's, not the gateway's, so it is never read: a required scope comes from X-Required-Scope, a required audience from X-Required-Audience.",
};

function requiredScopes(request: FastifyRequest, query: Requirements): string[] {
  const header = request.headers['x-required-scope'];
  const fromHeader = typeof header === 'string' ? header : '';
  const tokens = scopeTokens(`${query.scope ?? ''} ${fromHeader}`);
  if (!tokens) throw oauthError('invalid_request', 'the required scope is malformed');
  return tokens;
}

/** The audience the gateway requires: `?aud=` (or its older name `?audience=`), or X-Required-Audience behind a path. */
function requiredAudience(request: FastifyRequest, query: Requirements): string | undefined {
  if (query.aud !== undefined && query.audience !== undefined) throw oauthError('invalid_request', 'use aud or audience, not both');
  const header = request.headers['x-required-audience'];
  return query.aud ?? query.audience ?? (typeof header === 'string' ? header : undefined);
}

/**
 * A token of another audience is not a valid token here (RFC 6750 §3.1: invalid for other reasons; RFC 9068 §4:
 * the resource server must reject a token whose aud does not name it): 401, as for any invalid token. A missing
 * scope is 403 insufficient_scope.
 */
function assertRequirements(claims: AccessTokenClaims, scopes: string[], audience: string | undefined): void {
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audience !== undefined && !audiences.includes(audience)) throw invalidToken();
  const granted = new Set(claims.scope.split(' '));
  const missing = scopes.filter((scope) => !granted.has(scope));
  if (missing.length > 0)
    throw oauthError('insufficient_scope', `the token lacks scope: ${missing.join(' ')}`, challenge('insufficient_scope', scopes.join(' ')));
}

/** GET|POST|… /forward-auth[/*]: one verification from keys and revocation lists held in memory. */
export async function forwardAuthRoutes(app: FastifyInstance, services: Services): Promise<void> {
  // Gateways may forward a body of any type; it is never read, so no parser can fail on it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  /** The handler of one route: `readQuery` says whether the query string holds the gateway's requirements. */
  const handler = (readQuery: boolean) => async (request: FastifyRequest<{ Querystring: Requirements }>, reply: FastifyReply) => {
    const query = readQuery ? request.query : {};
    const scopes = requiredScopes(request, query);
    const audience = requiredAudience(request, query);
    const claims = await verifiedBearer(request, services);
    // Every identity header, empty where it does not apply (a service token has no session): a gateway copies the
    // headers of this answer over the client's, so one left out would let a client-sent X-Auth-Session through.
    const headers = { 'x-auth-subject': claims.sub, 'x-auth-client-id': claims.client_id, 'x-auth-scope': claims.scope, 'x-auth-session': claims.sid ?? '' };
    if (!Object.values(headers).every((value) => HEADER_SAFE.test(value))) throw invalidToken();
    if (await services.revocations.isRevokedFast(claims)) throw invalidToken();
    assertRequirements(claims, scopes, audience);
    return reply.code(200).headers(headers).send();
  };

  app.route({ method: [...METHODS], url: '/forward-auth', schema: forwardAuthSchema, onSend: noStore, handler: handler(true) });
  app.route({ method: [...METHODS], url: '/forward-auth/*', schema: forwardAuthPathSchema, onSend: noStore, handler: handler(false) });
}
