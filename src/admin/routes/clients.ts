import type { FastifyInstance } from 'fastify';
import { SECRET_GRACE_MAX } from '../clients.js';
import { supportedGrantTypes } from '../../grants/registry.js';
import type { AdminRouteServices } from './schemas.js';
import { ADMIN_SECURITY, adminErrors, NO_CONTENT, pageQuery, pageRequest, pageResponse, pathParam } from './schemas.js';
import { adminActor } from '../http/admin-auth.js';
import { CLIENT_NAME_MAX_LENGTH, DISPLAY_URI_MAX_LENGTH } from '../../clients/client-display.js';

const strings = (maxItems: number, maxLength: number) => ({ type: 'array', maxItems, items: { type: 'string', minLength: 1, maxLength } }) as const;

/** The fields of a client entry an operator may set after creation (CLIENTS_FILE's, but the id, type and secret). */
const CHANGEABLE = {
  grant_types: { type: 'array', minItems: 1, maxItems: 8, items: { type: 'string', enum: supportedGrantTypes() } },
  scope: { type: 'string', maxLength: 1024, description: 'Space-separated scopes the client may ask for.' },
  audience: strings(16, 256),
  refresh_token_delivery: { type: 'string', enum: ['body', 'cookie'] },
  redirect_uris: strings(32, 2048),
  post_logout_redirect_uris: strings(32, 2048),
  first_party: { type: 'boolean' },
  require_mfa: { type: 'boolean', description: 'Sign-ins for this client must be multi-factor (a password alone is stepped up).' },
  dpop_bound_access_tokens: { type: 'boolean', description: 'Every token request of this client must carry a DPoP proof (RFC 9449 §5.2).' },
  description: { type: 'string', maxLength: 1024 },
  client_name: { type: 'string', minLength: 1, maxLength: CLIENT_NAME_MAX_LENGTH, description: 'The name people see on the consent page (RFC 7591).' },
  logo_uri: { type: 'string', maxLength: DISPLAY_URI_MAX_LENGTH, description: 'An https URL of the logo shown on the consent page.' },
  client_uri: { type: 'string', maxLength: DISPLAY_URI_MAX_LENGTH, description: "The application's home page (https)." },
  policy_uri: { type: 'string', maxLength: DISPLAY_URI_MAX_LENGTH, description: 'Its privacy policy (https).' },
  tos_uri: { type: 'string', maxLength: DISPLAY_URI_MAX_LENGTH, description: 'Its terms of service (https).' },
} as const;

const clientSchema = {
  type: 'object',
  required: [
    'client_id',
    'type',
    'grant_types',
    'scope',
    'audience',
    'refresh_token_delivery',
    'redirect_uris',
    'post_logout_redirect_uris',
    'first_party',
    'require_mfa',
    'dpop_bound_access_tokens',
    'description',
    'client_name',
    'logo_uri',
    'client_uri',
    'policy_uri',
    'tos_uri',
    'source',
    'created_at',
    'updated_at',
    'previous_secret_expires_at',
  ],
  properties: {
    client_id: { type: 'string' },
    type: { type: 'string', enum: ['public', 'confidential'] },
    grant_types: { type: 'array', items: { type: 'string' } },
    scope: { type: 'string' },
    audience: { type: 'array', items: { type: 'string' } },
    refresh_token_delivery: { type: 'string' },
    redirect_uris: { type: 'array', items: { type: 'string' } },
    post_logout_redirect_uris: { type: 'array', items: { type: 'string' } },
    first_party: { type: 'boolean' },
    require_mfa: { type: 'boolean' },
    dpop_bound_access_tokens: { type: 'boolean' },
    description: { type: ['string', 'null'] },
    client_name: { type: ['string', 'null'] },
    logo_uri: { type: ['string', 'null'] },
    client_uri: { type: ['string', 'null'] },
    policy_uri: { type: ['string', 'null'] },
    tos_uri: { type: ['string', 'null'] },
    source: { type: 'string', enum: ['file', 'store'], description: 'file: CLIENTS_FILE, read-only here; store: created through this API.' },
    created_at: { type: ['integer', 'null'] },
    updated_at: { type: ['integer', 'null'] },
    previous_secret_expires_at: { type: ['integer', 'null'], description: "Until when a rotation's previous secret still works." },
  },
} as const;

const withSecret = (description: string) =>
  ({
    type: 'object',
    description,
    required: ['client'],
    properties: { client: clientSchema, client_secret: { type: 'string', description: 'The new secret, shown this once; only its hash is stored.' } },
  }) as const;

const clientId = pathParam('client_id', 128);
const common = { tags: ['admin'], security: ADMIN_SECURITY };

/** The admin API's clients: /admin/clients…. */
export async function adminClientRoutes(app: FastifyInstance, services: AdminRouteServices): Promise<void> {
  const clients = services.admin.clients;

  app.get<{ Querystring: { cursor?: string; limit?: string } }>(
    '/admin/clients',
    {
      schema: {
        ...common,
        summary: 'List clients',
        description: 'Every client, from CLIENTS_FILE and from this API, in client_id order.',
        querystring: pageQuery(),
        response: { 200: pageResponse('A page of clients.', clientSchema), ...adminErrors() },
      },
    },
    async (request) => clients.list(pageRequest(request.query)),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/admin/clients',
    {
      schema: {
        ...common,
        summary: 'Create a client',
        description:
          'The CLIENTS_FILE entry format, validated as the file is. A confidential client gets a new secret, answered this once. Every instance knows the client within a second, and at once when it calls.',
        body: {
          type: 'object',
          required: ['client_id', 'type', 'grant_types'],
          additionalProperties: false,
          properties: {
            client_id: { type: 'string', minLength: 1, maxLength: 128 },
            type: { type: 'string', enum: ['public', 'confidential'] },
            ...CHANGEABLE,
          },
        },
        response: { 201: withSecret('Created.'), ...adminErrors(409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await clients.create(request.body, adminActor(request))),
  );

  app.get<{ Params: { client_id: string } }>(
    '/admin/clients/:client_id',
    {
      schema: { ...common, summary: 'Get a client', params: clientId, response: { 200: { ...clientSchema, description: 'The client.' }, ...adminErrors(404) } },
    },
    async (request) => clients.get(request.params.client_id),
  );

  app.patch<{ Params: { client_id: string }; Body: Record<string, unknown> }>(
    '/admin/clients/:client_id',
    {
      schema: {
        ...common,
        summary: 'Change a client',
        description: 'Sets the fields given; the result is validated as a whole. A CLIENTS_FILE client is read-only (409).',
        params: clientId,
        body: { type: 'object', minProperties: 1, additionalProperties: false, properties: CHANGEABLE },
        response: { 200: { ...clientSchema, description: 'The client as it is now.' }, ...adminErrors(404, 409, 413, 415) },
      },
    },
    async (request) => clients.update(request.params.client_id, request.body, adminActor(request)),
  );

  app.delete<{ Params: { client_id: string } }>(
    '/admin/clients/:client_id',
    {
      schema: {
        ...common,
        summary: 'Delete a client',
        description:
          "Its tokens and its sessions' refresh tokens are refused from now on, on every instance within a second. A CLIENTS_FILE client is read-only (409).",
        params: clientId,
        response: { ...NO_CONTENT, ...adminErrors(404, 409) },
      },
    },
    async (request, reply) => {
      await clients.delete(request.params.client_id, adminActor(request));
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { client_id: string }; Body: { grace_seconds?: number } }>(
    '/admin/clients/:client_id/secret',
    {
      schema: {
        ...common,
        summary: "Rotate a client's secret",
        description: 'Answers the new secret once. The previous secret keeps working for grace_seconds (default 0: not at all).',
        params: clientId,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { grace_seconds: { type: 'integer', minimum: 0, maximum: SECRET_GRACE_MAX } },
        },
        response: { 200: withSecret('The new secret.'), ...adminErrors(404, 409, 413, 415) },
      },
      // The body is optional: a POST without one rotates with no grace.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => clients.rotateSecret(request.params.client_id, request.body.grace_seconds ?? 0, adminActor(request)),
  );
}
