import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauthError } from '../../errors.js';
import { BROWSER_API } from '../../http/cors.js';
import type { RouteServices } from '../../services.js';
import { errorResponses, PUBLIC } from '../../routes/schemas.js';
import { METADATA_PATH, protectedResourceMetadata } from '@tokensmith/verifier/shared';

/** What these routes use of the services. */
export type ResourceMetadataServices = Pick<RouteServices, 'config' | 'resources'>;

/** Seconds a client may cache a resource's metadata. */
const METADATA_MAX_AGE = 300;

const metadataSchema = {
  type: 'object',
  required: ['resource', 'authorization_servers', 'bearer_methods_supported'],
  properties: {
    resource: { type: 'string', description: 'The resource identifier; a client checks it is the one it asked about (RFC 9728 §3.3).' },
    authorization_servers: { type: 'array', items: { type: 'string' }, description: 'This service’s issuer.' },
    bearer_methods_supported: { type: 'array', items: { type: 'string' } },
    scopes_supported: { type: 'array', items: { type: 'string' } },
    resource_name: { type: 'string' },
  },
} as const;

/**
 * GET /.well-known/oauth-protected-resource[/path] (RFC 9728 §3): the metadata of a registered resource, for the
 * gateway to route here from the API's own host (the host passed, or the one resource of that path). Unknown: 404.
 */
export async function resourceMetadataRoutes(app: FastifyInstance, services: ResourceMetadataServices): Promise<void> {
  const answer = (path: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const resource = services.resources.forMetadataPath(path === '' ? '' : `/${path}`, request.host);
    if (resource === undefined) throw oauthError('not_found', 'no protected resource is registered at this path');
    return reply
      .header('cache-control', `public, max-age=${METADATA_MAX_AGE}`)
      .type('application/json; charset=utf-8')
      .send(
        JSON.stringify(
          protectedResourceMetadata({
            resource: resource.identifier,
            authorizationServers: [services.config.issuer],
            scopes: resource.scopes,
            name: resource.name,
          }),
        ),
      );
  };
  const schema = (summary: string) => ({
    summary,
    description:
      'RFC 9728 protected resource metadata of a resource of RESOURCES_FILE, served for the API behind the gateway: route the API host’s `/.well-known/oauth-protected-resource…` here. The resource is the one whose identifier has this path on the request’s host, or the only one of this path.',
    tags: ['discovery'],
    security: PUBLIC,
    response: { 200: metadataSchema, ...errorResponses(404) },
  });
  app.get(METADATA_PATH, { schema: schema('Protected resource metadata'), config: BROWSER_API }, answer(''));
  app.get<{ Params: { '*': string } }>(
    `${METADATA_PATH}/*`,
    { schema: schema('Protected resource metadata of a resource with a path'), config: BROWSER_API },
    (request, reply) => answer(request.params['*'])(request, reply),
  );
}
