import { requestContext } from '../audit/audit-log.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import type { GrantResult, GrantServices, TokenParams } from '../grants/grant.js';
import { grantParameters, GRANTS } from '../grants/registry.js';
import { CLIENT_AUTH_PROPERTIES, type ClientAuthServices, requestClient } from '../http/client-auth.js';
import { assertBrowserOrigin, clearRefreshCookie, presentedRefreshToken, registerCookies, setRefreshCookie } from '../http/refresh-cookie.js';
import type { RouteServices } from '../services.js';
import type { LimitName } from '../config.js';
import { CLIENT_AUTHENTICATION, errorResponses, FORM_OR_JSON, noStore } from './schemas.js';
import { BROWSER_API } from '../http/cors.js';

/** What these routes use of the services. */
export type TokenServices = Pick<RouteServices, 'clock' | 'config' | 'dpop' | 'limit' | 'metrics' | 'sessions'> & ClientAuthServices & GrantServices;

const tokenBodySchema = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string', maxLength: 64, description: 'The grant type (RFC 6749 §4).' },
    ...CLIENT_AUTH_PROPERTIES,
    ...grantParameters(),
  },
} as const;

const tokenResponseSchema = {
  type: 'object',
  description:
    'An access token (RFC 6749 §5.1), a JWT (RFC 9068) signed with the active key (RS256 or ES256). Cookie clients get the refresh token as an HttpOnly cookie instead of in the body.',
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: {
    access_token: { type: 'string' },
    token_type: {
      type: 'string',
      enum: ['Bearer', 'DPoP'],
      description: 'DPoP when the request carried a DPoP proof: the token is bound to its key (RFC 9449 §5).',
    },
    expires_in: { type: 'integer' },
    scope: { type: 'string' },
    refresh_token: { type: 'string' },
    id_token: { type: 'string', description: 'With the openid scope, on the authorization_code grant (OpenID Connect Core §3.1.3.3).' },
    issued_token_type: { type: 'string', description: 'On the token exchange grant (RFC 8693 §2.2.1).' },
  },
} as const;

const logoutBodySchema = {
  type: 'object',
  required: ['client_id'],
  properties: {
    client_id: { type: 'string', maxLength: 128, description: 'The client the session belongs to.' },
    refresh_token: { type: 'string', maxLength: 512, description: 'The refresh token, unless sent as the cookie.' },
  },
} as const;

const tokenSchema = {
  summary: 'Issue tokens',
  security: CLIENT_AUTHENTICATION,
  description:
    "The token endpoint (RFC 6749 §3.2). A `DPoP` header with a proof (RFC 9449) binds the access token to its key (`cnf.jkt`, token_type DPoP) and a public client's refresh token too; without one the token is a bearer token, unless REQUIRE_DPOP or the client's dpop_bound_access_tokens asks for a proof (400 invalid_dpop_proof). With DPOP_NONCE_KEY a proof must carry the server nonce: 400 use_dpop_nonce with a DPoP-Nonce header to retry with. Grants: authorization_code (with PKCE S256, RFC 7636), password (first-party clients only), refresh_token (rotating; cookie clients send the cookie), client_credentials (confidential clients), urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693, confidential clients a resource lets exchange its tokens). Each takes an RFC 8707 resource.",
  tags: ['oauth'],
  consumes: FORM_OR_JSON,
  body: tokenBodySchema,
  response: { 200: tokenResponseSchema, ...errorResponses(400, 401, 403, 413, 415, 503) },
};

const logoutSchema = {
  summary: 'End a session with its refresh token',
  security: CLIENT_AUTHENTICATION,
  description:
    'Ends the session a refresh token (cookie or body) belongs to and clears the cookie. Answers 204 whether or not the token was live, as RFC 7009 §2.2 does for revocation.',
  tags: ['oauth'],
  consumes: FORM_OR_JSON,
  body: logoutBodySchema,
  response: { 204: { description: 'Logged out', type: 'null' }, ...errorResponses(400, 401, 403, 413, 415, 503) },
};

function requireParameters(params: TokenParams, names: readonly string[]): void {
  const missing = names.filter((name) => params[name] === undefined || params[name] === '');
  if (missing.length > 0) throw oauthError('invalid_request', `missing parameter: ${missing.join(', ')}`);
}

/** Limits a request for an unsupported grant_type counts in (it is answered at once, but floods are floods). */
const UNKNOWN_GRANT_LIMITS: readonly LimitName[] = ['tokenIp'];

/**
 * For cookie clients, the refresh token a request presents comes from the cookie (after the Origin checks);
 * requests that do not read it still pass the Origin checks.
 */
function withCookieToken(request: FastifyRequest, services: TokenServices, client: Client, params: TokenParams, readsRefreshCookie: boolean): TokenParams {
  if (client.refreshTokenDelivery !== 'cookie') return params;
  if (!readsRefreshCookie) {
    assertBrowserOrigin(request, services.config, false);
    return params;
  }
  return { ...params, refresh_token: presentedRefreshToken(request, services.config, params.refresh_token) };
}

/**
 * The thumbprint of the key the request's DPoP proof was made with (RFC 9449 §5), checked for this endpoint (htm POST,
 * htu the token endpoint); undefined without a proof, which REQUIRE_DPOP and the client's dpop_bound_access_tokens refuse.
 */
async function provenKey(request: FastifyRequest, services: TokenServices, client: Client): Promise<string | undefined> {
  const target = { method: 'POST', url: `${services.config.issuer}/oauth/token` };
  const proof = await services.dpop.check(request.headers.dpop, target, 'token_endpoint');
  if (proof === undefined && (services.config.requireDpop || client.dpopBoundAccessTokens)) {
    throw services.dpop.refusal('token_endpoint', 'invalid_dpop_proof', 'a DPoP proof is required: send one in the DPoP header');
  }
  return proof?.jkt;
}

/** Moves the refresh token of a cookie client's response from the body into the cookie. */
function deliver(reply: FastifyReply, services: TokenServices, client: Client, result: GrantResult) {
  const { refresh_token: refreshToken, ...body } = result.response;
  if (client.refreshTokenDelivery !== 'cookie' || refreshToken === undefined || !result.session) return result.response;
  const maxAge = result.session.expiresAt - Math.floor(services.clock() / 1000);
  setRefreshCookie(reply, services.config, refreshToken, maxAge);
  return body;
}

/** POST /oauth/token (RFC 6749 §3.2), dispatching to the grant registry; POST /oauth/logout for refresh-token holders. */
export async function tokenRoutes(app: FastifyInstance, services: TokenServices): Promise<void> {
  await registerCookies(app);
  const clientOf = (request: FastifyRequest, params: TokenParams) => requestClient(services, request, params);

  app.post(
    '/oauth/token',
    {
      schema: tokenSchema,
      onSend: noStore,
      config: BROWSER_API,
    },
    async (request: FastifyRequest<{ Body: TokenParams }>, reply) => {
      const grant = GRANTS.get(request.body.grant_type!);
      for (const limit of grant?.limits ?? UNKNOWN_GRANT_LIMITS) await services.limit(limit, request);
      const client = await clientOf(request, request.body);
      if (!grant) throw oauthError('unsupported_grant_type', 'grant_type is not supported');
      if (!client.grantTypes.has(grant.type)) throw oauthError('unauthorized_client', `this client may not use the ${grant.type} grant`);
      const params = withCookieToken(request, services, client, request.body, grant.readsRefreshCookie);
      requireParameters(params, grant.required);
      const dpopJkt = await provenKey(request, services, client);
      const result = await grant.handle(params, client, { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' }, services, dpopJkt);
      services.metrics?.tokenIssued(grant.type, client.clientId);
      if (dpopJkt !== undefined) reply.headers(services.dpop.nonceHeader());
      return deliver(reply, services, client, result);
    },
  );

  app.post(
    '/oauth/logout',
    {
      schema: logoutSchema,
      onSend: noStore,
      config: BROWSER_API,
    },
    async (request: FastifyRequest<{ Body: TokenParams }>, reply) => {
      await services.limit('otherIp', request);
      const client = await clientOf(request, request.body);
      const token = withCookieToken(request, services, client, request.body, true).refresh_token;
      if (token !== undefined) await services.sessions.logOut(token, client, requestContext(request));
      if (client.refreshTokenDelivery === 'cookie') clearRefreshCookie(reply, services.config);
      return reply.code(204).send();
    },
  );
}
