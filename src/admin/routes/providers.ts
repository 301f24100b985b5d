import type { FastifyInstance } from 'fastify';
import { PROVIDER_ID_MAX_LENGTH } from '../../federation/provider.js';
import { adminActor } from '../http/admin-auth.js';
import type { AdminRouteServices } from './schemas.js';
import { ADMIN_SECURITY, adminErrors, NO_CONTENT, pathParam } from './schemas.js';

const pointer = { type: 'string', maxLength: 200, description: 'An RFC 6901 JSON pointer into the ID token’s (and userinfo’s) claims.' } as const;
const secret = { type: 'string', minLength: 1, maxLength: 1024, description: 'The client secret the provider issued; never shown again.' } as const;

/** The fields of a provider entry an operator may set after creation (PROVIDERS_FILE's, but the id and the secret). */
const CHANGEABLE = {
  name: { type: 'string', minLength: 1, maxLength: 64, description: 'The button: "Continue with <name>".' },
  issuer: { type: 'string', minLength: 1, maxLength: 2048, description: 'The issuer identifier; endpoints and keys come from its discovery.' },
  client_id: { type: 'string', minLength: 1, maxLength: 512 },
  scope: { type: 'string', minLength: 1, maxLength: 1024, description: 'Space-separated; must include openid.' },
  icon: { type: 'string', maxLength: 2048, description: 'An https URL of its icon.' },
  userinfo: { type: 'boolean', description: 'Read the userinfo endpoint too.' },
  create_accounts: { type: 'boolean', description: 'Make an account at a first sign-in (just in time); false: only linked accounts sign in.' },
  trust_email: { type: 'boolean', description: 'An address the provider calls verified becomes a new account’s verified address (when free here).' },
  claims: {
    type: 'object',
    additionalProperties: false,
    properties: { username: pointer, email: pointer, email_verified: pointer },
  },
} as const;

const providerSchema = {
  type: 'object',
  required: [
    'id',
    'name',
    'issuer',
    'client_id',
    'scope',
    'icon',
    'userinfo',
    'create_accounts',
    'trust_email',
    'claims',
    'callback_url',
    'source',
    'created_at',
    'updated_at',
  ],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    issuer: { type: 'string' },
    client_id: { type: 'string' },
    scope: { type: 'string' },
    icon: { type: ['string', 'null'] },
    userinfo: { type: 'boolean' },
    create_accounts: { type: 'boolean' },
    trust_email: { type: 'boolean' },
    claims: {
      type: 'object',
      required: ['username', 'email', 'email_verified'],
      properties: { username: { type: 'string' }, email: { type: 'string' }, email_verified: { type: 'string' } },
    },
    callback_url: { type: 'string', description: 'The redirect URI to register at the provider.' },
    source: { type: 'string', enum: ['file', 'store'], description: 'file: PROVIDERS_FILE, read-only here; store: created through this API.' },
    created_at: { type: ['integer', 'null'] },
    updated_at: { type: ['integer', 'null'] },
  },
} as const;

const providerId = pathParam('id', PROVIDER_ID_MAX_LENGTH);
const common = { tags: ['admin'], security: ADMIN_SECURITY };

/** The admin API's upstream providers: /admin/providers…. */
export async function adminProviderRoutes(app: FastifyInstance, services: AdminRouteServices): Promise<void> {
  const providers = services.admin.providers;

  app.get(
    '/admin/providers',
    {
      schema: {
        ...common,
        summary: 'List upstream providers',
        description: 'Every provider people may sign in through: PROVIDERS_FILE’s first, then those added through this API, by id. Never a secret.',
        response: { 200: { type: 'array', description: 'The providers.', items: providerSchema }, ...adminErrors() },
      },
    },
    async () => providers.list(),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/admin/providers',
    {
      schema: {
        ...common,
        summary: 'Add an upstream provider',
        description:
          'The PROVIDERS_FILE entry format, validated as the file is, with `client_secret` itself (sealed at rest under MFA_SECRET_KEY when set, never shown again). Every instance offers it within a second. Register the answer’s `callback_url` at the provider.',
        body: {
          type: 'object',
          required: ['id', 'name', 'issuer', 'client_id', 'client_secret', 'scope'],
          additionalProperties: false,
          properties: { id: { type: 'string', minLength: 1, maxLength: PROVIDER_ID_MAX_LENGTH }, client_secret: secret, ...CHANGEABLE },
        },
        response: { 201: { ...providerSchema, description: 'Added.' }, ...adminErrors(409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await providers.create(request.body, adminActor(request))),
  );

  app.get<{ Params: { id: string } }>(
    '/admin/providers/:id',
    {
      schema: {
        ...common,
        summary: 'Get an upstream provider',
        params: providerId,
        response: { 200: { ...providerSchema, description: 'The provider.' }, ...adminErrors(404) },
      },
    },
    async (request) => providers.get(request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/admin/providers/:id',
    {
      schema: {
        ...common,
        summary: 'Change an upstream provider',
        description:
          'Sets the fields given; the result is validated as a whole. A new issuer is another provider to the links: identities linked through the old one sign nothing in. A PROVIDERS_FILE provider is read-only (409).',
        params: providerId,
        body: { type: 'object', minProperties: 1, additionalProperties: false, properties: CHANGEABLE },
        response: { 200: { ...providerSchema, description: 'The provider as it is now.' }, ...adminErrors(404, 409, 413, 415) },
      },
    },
    async (request) => providers.update(request.params.id, request.body, adminActor(request)),
  );

  app.put<{ Params: { id: string }; Body: { client_secret: string } }>(
    '/admin/providers/:id/secret',
    {
      schema: {
        ...common,
        summary: "Replace an upstream provider's client secret",
        description: 'When the provider issued a new secret (a rotation there). Never shown again.',
        params: providerId,
        body: { type: 'object', required: ['client_secret'], additionalProperties: false, properties: { client_secret: secret } },
        response: { 200: { ...providerSchema, description: 'The provider.' }, ...adminErrors(404, 409, 413, 415) },
      },
    },
    async (request) => providers.setSecret(request.params.id, request.body.client_secret, adminActor(request)),
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/providers/:id',
    {
      schema: {
        ...common,
        summary: 'Remove an upstream provider',
        description:
          'No instance offers it a second later. The identities linked through it stay on their accounts (shown as no longer offered) and sign nothing in. A PROVIDERS_FILE provider is read-only (409).',
        params: providerId,
        response: { ...NO_CONTENT, ...adminErrors(404, 409) },
      },
    },
    async (request, reply) => {
      await providers.delete(request.params.id, adminActor(request));
      return reply.code(204).send();
    },
  );
}
