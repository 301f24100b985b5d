import type { FastifyInstance } from 'fastify';
import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import { type ClientAuthParams, type ClientAuthServices, requestClient } from '../http/client-auth.js';
import type { RouteServices } from '../services.js';
import { inspectToken } from '../tokens/inspect.js';
import { CLIENT_AUTHENTICATION, errorResponses, FORM_OR_JSON, noStore, presentedTokenBody } from './schemas.js';

/** What these routes use of the services. */
export type IntrospectionServices = Pick<RouteServices, 'accessTokens' | 'config' | 'limit' | 'sessions' | 'tokenAcceptance' | 'verifiedTokens'> &
  ClientAuthServices;

/** The scope a client needs among its allowed scopes to call the introspection endpoint. */
export const INTROSPECT_SCOPE = 'introspect';

/**
 * The callers allowed to learn about other clients' tokens (introspection, the revocation feed):
 * authenticated confidential clients (RFC 7662 §2.1; a public client has no authentication to offer)
 * with the introspect scope among their allowed scopes.
 */
export function assertIntrospector(client: Client, action: string): void {
  if (client.type !== 'confidential') throw oauthError('invalid_client', `only authenticated confidential clients may ${action}`);
  if (!client.scopes.includes(INTROSPECT_SCOPE)) throw oauthError('insufficient_scope', `this client lacks the ${INTROSPECT_SCOPE} scope`);
}

interface IntrospectBody extends ClientAuthParams {
  token: string;
  token_type_hint?: string;
}

const INACTIVE = { active: false } as const;

const introspectionResponse = {
  type: 'object',
  description: 'RFC 7662 §2.2. An inactive, expired, revoked, foreign, malformed or unknown token is exactly {"active": false}.',
  required: ['active'],
  properties: {
    active: { type: 'boolean' },
    token_type: { type: 'string', description: 'Bearer for access tokens (DPoP for one bound to a DPoP key), refresh_token for refresh tokens.' },
    sub: { type: 'string' },
    client_id: { type: 'string' },
    scope: { type: 'string' },
    aud: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    iss: { type: 'string' },
    exp: { type: 'integer' },
    iat: { type: 'integer' },
    jti: { type: 'string' },
    sid: { type: 'string' },
    act: { type: 'object', additionalProperties: true, description: 'Who acts for the subject, on an exchanged token (RFC 8693 §4.1).' },
    cnf: {
      type: 'object',
      properties: { jkt: { type: 'string' } },
      description: 'The DPoP key a bound token is bound to: its JWK SHA-256 thumbprint (RFC 9449 §6.2). A resource server must then see a proof of that key.',
    },
  },
} as const;

const introspectSchema = {
  summary: 'Introspect a token',
  security: CLIENT_AUTHENTICATION,
  description: 'RFC 7662. Only authenticated confidential clients with the introspect scope among their allowed scopes may call it.',
  tags: ['oauth'],
  consumes: FORM_OR_JSON,
  body: presentedTokenBody('introspect'),
  response: { 200: introspectionResponse, ...errorResponses(400, 401, 403, 413, 415, 503) },
};

/** POST /oauth/introspect (RFC 7662). */
export async function introspectionRoutes(app: FastifyInstance, services: IntrospectionServices): Promise<void> {
  app.post<{ Body: IntrospectBody }>(
    '/oauth/introspect',
    {
      schema: introspectSchema,
      onSend: noStore,
    },
    async (request) => {
      await services.limit('otherIp', request);
      const client = await requestClient(services, request, request.body);
      assertIntrospector(client, 'introspect');
      const found = await inspectToken(request.body.token, services.sessions, services.verifiedTokens, services.accessTokens);
      if (found?.kind === 'access_token') {
        const { claims } = found;
        const verdict = await services.tokenAcceptance.judge(claims, { revocation: 'store' });
        if (!verdict.accepted) return INACTIVE;
        return {
          active: true,
          token_type: claims.cnf === undefined ? 'Bearer' : 'DPoP',
          sub: claims.sub,
          client_id: claims.client_id,
          scope: verdict.scope,
          aud: claims.aud,
          iss: claims.iss,
          exp: claims.exp,
          iat: claims.iat,
          jti: claims.jti,
          sid: claims.sid,
          act: claims.act,
          cnf: claims.cnf,
        };
      }
      const verdict = found?.kind === 'refresh_token' ? services.tokenAcceptance.judgeRefreshToken(found) : undefined;
      if (found?.kind === 'refresh_token' && verdict?.accepted) {
        const { session } = found;
        return {
          active: true,
          token_type: 'refresh_token',
          sub: session.userId,
          client_id: session.clientId,
          scope: verdict.scope,
          iss: services.config.issuer,
          exp: session.expiresAt,
          iat: session.createdAt,
          sid: session.sid,
        };
      }
      return INACTIVE;
    },
  );
}
