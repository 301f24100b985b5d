import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { bearerToken, invalidToken, verifiedBearer } from '../../http/bearer.js';
import { oauthError } from '../../errors.js';
import type { RouteServices } from '../../services.js';
import { errorResponses, noStore } from '../../routes/schemas.js';
import { CLIENT_REGISTRATION_SCOPE, REGISTRATION_PATH } from '../dynamic-registration.js';

/** What these routes use of the services. */
export type RegistrationServices = Pick<
  RouteServices,
  'accessTokens' | 'clientRegistration' | 'config' | 'dpop' | 'limit' | 'tokenAcceptance' | 'verifiedTokens'
>;

const metadataBody = {
  type: 'object',
  description:
    'RFC 7591 §2 client metadata: redirect_uris (https, http on a loopback address with any port, or a reverse-domain private-use scheme), token_endpoint_auth_method (none; private_key_jwt with jwks or jwks_uri, RFC 7523; client_secret_basic or client_secret_post with an initial access token), grant_types (authorization_code, refresh_token), response_types (code), scope, dpop_bound_access_tokens (RFC 9449 §5.2), client_name, logo_uri, client_uri, policy_uri, tos_uri. Other fields are ignored (§2).',
  additionalProperties: true,
} as const;

const registeredClient = {
  description: 'The client as registered (RFC 7591 §3.2.1, RFC 7592 §3); `client_secret` and `registration_access_token` only when it is made.',
  type: 'object',
  additionalProperties: true,
  properties: {
    client_id: { type: 'string' },
    client_id_issued_at: { type: 'integer' },
    client_secret: { type: 'string' },
    client_secret_expires_at: { type: 'integer' },
    registration_access_token: { type: 'string' },
    registration_client_uri: { type: 'string' },
    redirect_uris: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_method: { type: 'string' },
    grant_types: { type: 'array', items: { type: 'string' } },
    response_types: { type: 'array', items: { type: 'string' } },
    scope: { type: 'string' },
    dpop_bound_access_tokens: { type: 'boolean', description: 'Every token request of the client must carry a DPoP proof (RFC 9449 §5.2).' },
  },
} as const;

const clientParams = { type: 'object', properties: { clientId: { type: 'string', maxLength: 128 } }, required: ['clientId'] } as const;
const REGISTRATION_TOKEN = [{ bearerAuth: [] }];

/** The registration access token of a management request (RFC 7592 §3: a bearer token); 401 without one. */
function registrationToken(request: FastifyRequest): string {
  const token = bearerToken(request.headers.authorization);
  if (token === undefined) throw oauthError('invalid_token', 'the registration access token is required', { 'www-authenticate': 'Bearer' });
  return token;
}

/**
 * POST /oauth/register (RFC 7591 §3) and the client configuration endpoint /oauth/register/{client_id} (RFC 7592):
 * registered only when CLIENT_REGISTRATION is not `closed`. Under `initial-access-token` a registration carries a
 * bearer access token of this service with the client_registration scope (a client's own); under `open` it may, and
 * then may make a confidential client.
 */
export async function registrationRoutes(app: FastifyInstance, services: RegistrationServices): Promise<void> {
  const registration = services.clientRegistration;
  if (registration.policy === 'closed') return;

  /** Whether the request carries a valid initial access token; a token that fails is 401 whatever the policy. */
  const initialAccessToken = async (request: FastifyRequest): Promise<boolean> => {
    if (request.headers.authorization === undefined) {
      if (registration.policy === 'initial-access-token')
        throw oauthError('invalid_token', 'an initial access token is required', { 'www-authenticate': 'Bearer' });
      return false;
    }
    const claims = await verifiedBearer(request, services);
    const verdict = await services.tokenAcceptance.judge(claims, { revocation: 'store', holder: 'client', scopes: [CLIENT_REGISTRATION_SCOPE] });
    if (!verdict.accepted) throw invalidToken();
    return true;
  };

  app.post(
    REGISTRATION_PATH,
    {
      schema: {
        summary: 'Register a client',
        description:
          'RFC 7591 dynamic client registration, under the CLIENT_REGISTRATION policy. Answers the client with a registration access token for RFC 7592, shown once; errors are invalid_redirect_uri and invalid_client_metadata (RFC 7591 §3.2.2).',
        tags: ['oauth'],
        security: [...REGISTRATION_TOKEN, {}],
        body: metadataBody,
        response: { 201: registeredClient, ...errorResponses(400, 401, 413, 415, 429, 503) },
      },
      onSend: noStore,
    },
    async (request, reply) => {
      await services.limit('clientRegistrationIp', request);
      const mayHoldSecrets = await initialAccessToken(request);
      return reply.code(201).send(await registration.register(request.body, mayHoldSecrets, requestContext(request)));
    },
  );

  const managed = `${REGISTRATION_PATH}/:clientId`;
  const manageSchema = (summary: string, description: string, extra: Record<string, unknown>) => ({
    summary,
    description,
    tags: ['oauth'],
    security: REGISTRATION_TOKEN,
    params: clientParams,
    ...extra,
  });
  type Managed = { Params: { clientId: string } };

  app.get<Managed>(
    managed,
    {
      schema: manageSchema('Read a registered client', 'RFC 7592 §2.1, with the registration access token; never the client secret.', {
        response: { 200: registeredClient, ...errorResponses(401, 429) },
      }),
      onSend: noStore,
    },
    async (request) => {
      await services.limit('otherIp', request);
      return registration.read(request.params.clientId, registrationToken(request));
    },
  );

  app.put<Managed>(
    managed,
    {
      schema: manageSchema('Change a registered client', 'RFC 7592 §2.2: the whole metadata, with client_id, validated as a registration.', {
        body: metadataBody,
        response: { 200: registeredClient, ...errorResponses(400, 401, 413, 415, 429) },
      }),
      onSend: noStore,
    },
    async (request) => {
      await services.limit('otherIp', request);
      return registration.update(request.params.clientId, registrationToken(request), request.body, requestContext(request));
    },
  );

  app.delete<Managed>(
    managed,
    {
      schema: manageSchema('Delete a registered client', 'RFC 7592 §2.3: its tokens and sessions are refused from now on, the consents given it forgotten.', {
        response: { 204: { description: 'Deleted', type: 'null' }, ...errorResponses(401, 429) },
      }),
    },
    async (request, reply) => {
      await services.limit('otherIp', request);
      await registration.delete(request.params.clientId, registrationToken(request), requestContext(request));
      return reply.code(204).send();
    },
  );
}
