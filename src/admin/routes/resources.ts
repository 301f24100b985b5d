import type { FastifyInstance } from 'fastify';
import { RESOURCE_IDENTIFIER_MAX_LENGTH } from '../../resources/protected-resource.js';
import { adminActor } from '../http/admin-auth.js';
import type { AdminRouteServices } from './schemas.js';
import { ADMIN_SECURITY, adminErrors, NO_CONTENT, pathParam } from './schemas.js';

const clientIds = {
  type: 'array',
  maxItems: 1000,
  items: { type: 'string', minLength: 1, maxLength: 128 },
} as const;

/** The fields of a resource entry an operator may set after registering it (RESOURCES_FILE's, but the identifier); null removes one. */
const CHANGEABLE = {
  name: { type: ['string', 'null'], maxLength: 100, description: 'A name people read (RFC 9728 resource_name), on the consent page too.' },
  scopes: {
    type: ['array', 'null'],
    maxItems: 100,
    items: { type: 'string', minLength: 1, maxLength: 128 },
    description: 'The scopes it accepts (RFC 9728 scopes_supported); null: whatever the client may have.',
  },
  clients: {
    anyOf: [{ type: 'string', enum: ['*'] }, clientIds, { type: 'null' }],
    description: 'The clients that may ask for tokens meant for it, or "*" for every client; null: none but those whose own audience lists it.',
  },
  exchanged_by: { anyOf: [clientIds, { type: 'null' }], description: 'The clients that may exchange its tokens for another resource’s (RFC 8693).' },
} as const;

const resourceSchema = {
  type: 'object',
  required: ['resource', 'name', 'scopes', 'clients', 'exchanged_by', 'metadata_url', 'source', 'created_at', 'updated_at'],
  properties: {
    resource: { type: 'string', description: 'The resource identifier (RFC 8707 §2): the `aud` of tokens meant for it.' },
    name: { type: ['string', 'null'] },
    scopes: { type: ['array', 'null'], items: { type: 'string' } },
    clients: {
      anyOf: [
        { type: 'string', enum: ['*'] },
        { type: 'array', items: { type: 'string' } },
      ],
    },
    exchanged_by: { type: 'array', items: { type: 'string' } },
    metadata_url: { type: 'string', description: 'Where this service answers its protected resource metadata (RFC 9728 §3.1).' },
    source: { type: 'string', enum: ['file', 'store'], description: 'file: RESOURCES_FILE, read-only here; store: registered through this API.' },
    created_at: { type: ['integer', 'null'] },
    updated_at: { type: ['integer', 'null'] },
  },
} as const;

const identifier = pathParam('resource', RESOURCE_IDENTIFIER_MAX_LENGTH, 'The resource identifier, percent-encoded as one path segment.');
const common = { tags: ['admin'], security: ADMIN_SECURITY };

/** The admin API's protected resources: /admin/resources…. */
export async function adminResourceRoutes(app: FastifyInstance, services: AdminRouteServices): Promise<void> {
  const resources = services.admin.resources;

  app.get(
    '/admin/resources',
    {
      schema: {
        ...common,
        summary: 'List protected resources',
        description: 'Every resource tokens may be meant for: RESOURCES_FILE’s first, then those registered through this API, by identifier.',
        response: { 200: { type: 'array', description: 'The resources.', items: resourceSchema }, ...adminErrors() },
      },
    },
    async () => resources.list(),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/admin/resources',
    {
      schema: {
        ...common,
        summary: 'Register a protected resource',
        description:
          'The RESOURCES_FILE entry format, validated as the file is. Every instance issues tokens for it, and answers its RFC 9728 metadata, within a second.',
        body: {
          type: 'object',
          required: ['resource'],
          additionalProperties: false,
          properties: { resource: { type: 'string', minLength: 1, maxLength: RESOURCE_IDENTIFIER_MAX_LENGTH }, ...CHANGEABLE },
        },
        response: { 201: { ...resourceSchema, description: 'Registered.' }, ...adminErrors(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const entry = Object.fromEntries(Object.entries(request.body).filter(([, value]) => value !== null));
      return reply.code(201).send(await resources.create(entry, adminActor(request)));
    },
  );

  app.get<{ Params: { resource: string } }>(
    '/admin/resources/:resource',
    {
      schema: {
        ...common,
        summary: 'Get a protected resource',
        params: identifier,
        response: { 200: { ...resourceSchema, description: 'The resource.' }, ...adminErrors(404) },
      },
    },
    async (request) => resources.get(request.params.resource),
  );

  app.patch<{ Params: { resource: string }; Body: Record<string, unknown> }>(
    '/admin/resources/:resource',
    {
      schema: {
        ...common,
        summary: 'Change a protected resource',
        description:
          'Sets the fields given (null removes one); the result is validated as a whole. A client taken off `clients` gets no new token for it: its sessions’ refreshes are invalid_target. A RESOURCES_FILE resource is read-only (409).',
        params: identifier,
        body: { type: 'object', minProperties: 1, additionalProperties: false, properties: CHANGEABLE },
        response: { 200: { ...resourceSchema, description: 'The resource as it is now.' }, ...adminErrors(404, 409, 413, 415) },
      },
    },
    async (request) => resources.update(request.params.resource, request.body, adminActor(request)),
  );

  app.delete<{ Params: { resource: string } }>(
    '/admin/resources/:resource',
    {
      schema: {
        ...common,
        summary: 'Remove a protected resource',
        description:
          'No instance issues a token for it, or answers its metadata, a second later; tokens issued before live out their lifetime. A RESOURCES_FILE resource is read-only (409).',
        params: identifier,
        response: { ...NO_CONTENT, ...adminErrors(404, 409) },
      },
    },
    async (request, reply) => {
      await resources.delete(request.params.resource, adminActor(request));
      return reply.code(204).send();
    },
  );
}
