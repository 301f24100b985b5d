import type { FastifyInstance } from 'fastify';
import { oauthError } from '../../errors.js';
import { DEVICE_CODE } from '../../grants/grant-type.js';
import { CLIENT_AUTH_PROPERTIES, type ClientAuthServices, requestClient } from '../../http/client-auth.js';
import { CLIENT_AUTHENTICATION, errorResponses, FORM_OR_JSON, noStore } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';

/** The device authorization endpoint's path (RFC 8628 §3.1). */
export const DEVICE_AUTHORIZATION_PATH = '/oauth/device_authorization';

/** What this route uses of the services. */
export type DeviceAuthorizationServices = Pick<RouteServices, 'devices' | 'limit' | 'resources'> & ClientAuthServices;

interface DeviceAuthorizationBody {
  client_id?: string;
  client_secret?: string;
  scope?: string;
  resource?: string;
}

const deviceAuthorizationSchema = {
  summary: 'Start a device authorization',
  description:
    'The device authorization endpoint (RFC 8628 §3.1): a client with the urn:ietf:params:oauth:grant-type:device_code grant (public: its client_id; confidential: authenticated as at the token endpoint) asks for a scope and, optionally, an RFC 8707 resource. The answer (§3.2) has the device code to poll the token endpoint with, the user code its person enters at verification_uri (/device), that address with the code in it, the seconds the codes live and the seconds between polls.',
  tags: ['oauth'],
  security: CLIENT_AUTHENTICATION,
  consumes: FORM_OR_JSON,
  body: {
    type: 'object',
    properties: {
      ...CLIENT_AUTH_PROPERTIES,
      scope: { type: 'string', maxLength: 1024, description: 'Space-separated scopes (RFC 6749 §3.3); when absent, everything the client may have.' },
      resource: {
        type: 'string',
        maxLength: 256,
        description: 'RFC 8707 resource indicator: a registered resource the client may ask for, or one of its audiences.',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      description: 'The device authorization response (RFC 8628 §3.2).',
      required: ['device_code', 'user_code', 'verification_uri', 'verification_uri_complete', 'expires_in', 'interval'],
      properties: {
        device_code: { type: 'string', description: 'What the device polls the token endpoint with; never shown to the person.' },
        user_code: { type: 'string', description: 'Eight letters of BCDFGHJKLMNPQRSTVWXZ, shown as two groups of four.' },
        verification_uri: { type: 'string', description: 'Where the person enters the user code: the issuer’s /device.' },
        verification_uri_complete: { type: 'string', description: 'The same with the user code in it, for a QR code or a link.' },
        expires_in: { type: 'integer', description: 'Seconds the codes live (DEVICE_CODE_TTL).' },
        interval: { type: 'integer', description: 'Seconds between polls (DEVICE_CODE_INTERVAL).' },
      },
    },
    ...errorResponses(400, 401, 413, 415, 429, 503),
  },
};

/** POST /oauth/device_authorization (RFC 8628 §3.1-3.2). */
export async function deviceAuthorizationRoutes(app: FastifyInstance, services: DeviceAuthorizationServices): Promise<void> {
  app.post<{ Body: DeviceAuthorizationBody }>(DEVICE_AUTHORIZATION_PATH, { schema: deviceAuthorizationSchema, onSend: noStore }, async (request) => {
    // Each request stores a record until it expires: counted with the token requests it leads to.
    await services.limit('tokenIp', request);
    const client = await requestClient(services, request, request.body);
    if (!client.grantTypes.has(DEVICE_CODE)) throw oauthError('unauthorized_client', `this client may not use the ${DEVICE_CODE} grant`);
    const { resource: named, scope } = request.body;
    const resource = named === undefined || named === '' ? undefined : services.resources.targetFor(client, named);
    return services.devices.start(client, { scope: services.resources.grantScope(client, resource, scope), resource });
  });
}
