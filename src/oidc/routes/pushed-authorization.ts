import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CLIENT_AUTH_PROPERTIES, type ClientAuthServices, requestClient } from '../../http/client-auth.js';
import { CLIENT_AUTHENTICATION, errorResponses, FORM_OR_JSON, noStore } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';
import { AUTHORIZATION_PARAMETERS } from '../pushed-requests.js';

/** The pushed authorization request endpoint's path (RFC 9126 §2). */
export const PAR_PATH = '/oauth/par';

/** What this route uses of the services. */
export type PushedAuthorizationServices = Pick<RouteServices, 'config' | 'dpop' | 'limit' | 'pushedRequests'> & ClientAuthServices;

type PushedBody = Record<string, string | undefined>;

const parameter = { type: 'string', maxLength: 2048 } as const;

const pushedAuthorizationSchema = {
  summary: 'Push an authorization request',
  description:
    'The pushed authorization request endpoint (RFC 9126 §2): the client, authenticated as at the token endpoint (a public client by its client_id), posts the parameters of its authorization request; they are validated as the authorization endpoint would (errors as JSON here), kept, and named by the answer’s request_uri, which the browser then takes to /oauth/authorize with client_id alone. A request_uri lives expires_in seconds until a browser brings it, then for the sign-in, and yields one code. A DPoP header with a proof for this endpoint binds the code to its key (RFC 9449 §10.1), as `dpop_jkt` does.',
  tags: ['oauth'],
  security: CLIENT_AUTHENTICATION,
  consumes: FORM_OR_JSON,
  body: {
    type: 'object',
    properties: {
      ...CLIENT_AUTH_PROPERTIES,
      ...Object.fromEntries(AUTHORIZATION_PARAMETERS.filter((name) => name !== 'client_id').map((name) => [name, parameter])),
      request_uri: { ...parameter, description: 'Refused: a request_uri is not pushed (RFC 9126 §2.1).' },
      request: { type: 'string', maxLength: 8192, description: 'Refused: request objects are not supported.' },
    },
  },
  response: {
    201: {
      type: 'object',
      description: 'The pushed authorization response (RFC 9126 §2.2).',
      required: ['request_uri', 'expires_in'],
      properties: {
        request_uri: { type: 'string', description: 'urn:ietf:params:oauth:request_uri: and a secret.' },
        expires_in: { type: 'integer', description: 'Seconds until a browser must bring it to the authorization endpoint (90).' },
      },
    },
    ...errorResponses(400, 401, 413, 415, 429, 503),
  },
};

/**
 * The pushed parameters, with `dpop_jkt` from the request's DPoP proof when it carries one (RFC 9449 §10.1): the code
 * is then bound to the key the client proved here. A proof and a dpop_jkt that name different keys are refused.
 */
async function withProvenKey(request: FastifyRequest<{ Body: PushedBody }>, services: PushedAuthorizationServices): Promise<PushedBody> {
  const proof = await services.dpop.check(request.headers.dpop, { method: 'POST', url: `${services.config.issuer}${PAR_PATH}` }, 'token_endpoint');
  if (proof === undefined) return request.body;
  if (request.body.dpop_jkt !== undefined && request.body.dpop_jkt !== proof.jkt) {
    throw services.dpop.refusal('token_endpoint', 'invalid_dpop_proof', "dpop_jkt is not the thumbprint of the DPoP proof's key");
  }
  return { ...request.body, dpop_jkt: proof.jkt };
}

/** POST /oauth/par (RFC 9126 §2). */
export async function pushedAuthorizationRoutes(app: FastifyInstance, services: PushedAuthorizationServices): Promise<void> {
  app.post<{ Body: PushedBody }>(PAR_PATH, { schema: pushedAuthorizationSchema, onSend: noStore }, async (request, reply) => {
    await services.limit('tokenIp', request);
    const client = await requestClient(services, request, request.body);
    return reply.code(201).send(await services.pushedRequests.push(client, await withProvenKey(request, services)));
  });
}
