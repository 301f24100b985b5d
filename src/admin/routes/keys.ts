import type { FastifyInstance } from 'fastify';
import type { AdminRouteServices } from './schemas.js';
import { ADMIN_SECURITY, adminErrors, pageQuery, pageRequest, pageResponse, pathParam } from './schemas.js';
import { adminActor } from '../http/admin-auth.js';

const keySchema = {
  type: 'object',
  required: ['kid', 'alg', 'state', 'published', 'created_at', 'activate_at', 'retired_at'],
  properties: {
    kid: { type: 'string' },
    alg: { type: 'string', enum: ['RS256', 'ES256'], description: 'The one algorithm the key signs and verifies with.' },
    state: { type: 'string', enum: ['pending', 'signing', 'active', 'retired', 'expired'] },
    published: { type: 'boolean' },
    created_at: { type: 'integer' },
    activate_at: { type: 'integer', description: 'When it signs (or signed) from.' },
    retired_at: { type: ['integer', 'null'] },
  },
} as const;

const common = { tags: ['admin'], security: ADMIN_SECURITY };

/** The admin API's signing keys: /admin/keys…, with the CLI's lifecycle rules. */
export async function adminKeyRoutes(app: FastifyInstance, services: AdminRouteServices): Promise<void> {
  const keys = services.admin.keys;

  app.get<{ Querystring: { cursor?: string; limit?: string } }>(
    '/admin/keys',
    {
      schema: {
        ...common,
        summary: 'List signing keys',
        description: 'Every key in KEYS_DIR with its state and dates, oldest first; never key material.',
        querystring: pageQuery(),
        response: { 200: pageResponse('A page of keys.', keySchema), ...adminErrors() },
      },
    },
    async (request) => keys.list(pageRequest(request.query)),
  );

  app.post(
    '/admin/keys/rotate',
    {
      schema: {
        ...common,
        summary: 'Add a signing key',
        description:
          'Published at once, signs after JWKS_MAX_AGE + KEYS_RELOAD_INTERVAL (at once when no key signs). 409 when KEYS_DIR is read-only (a mounted secret), saying how to rotate there.',
        response: { 201: { ...keySchema, description: 'The new key.' }, ...adminErrors(409) },
      },
    },
    async (request, reply) => reply.code(201).send(await keys.rotate(adminActor(request))),
  );

  app.post<{ Params: { kid: string } }>(
    '/admin/keys/:kid/retire',
    {
      schema: {
        ...common,
        summary: 'Retire a signing key',
        description:
          'It stops signing now and stays published until its tokens have expired. 409 while no other key is active yet, or when KEYS_DIR is read-only.',
        params: pathParam('kid', 128),
        response: { 200: { ...keySchema, description: 'The retired key.' }, ...adminErrors(404, 409) },
      },
    },
    async (request) => keys.retire(request.params.kid, adminActor(request)),
  );
}
