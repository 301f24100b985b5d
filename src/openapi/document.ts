import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { errorSchema } from '../routes/schemas.js';

/** The document head of openapi.yaml. */
export const DOCUMENT_INFO = {
  title: 'tokensmith',
  // The release's version, from package.json (two folders up, from src/openapi/ and dist/openapi/ alike).
  version: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
  description: 'A standalone token authorization service: RS256 (or ES256) JWT access tokens (RFC 9068), JWKS, RFC 8414 discovery.',
  // The LICENSE file at the repository's root.
  license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
};

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const ERROR_REF = { $ref: '#/components/schemas/Error' };

type Operation = { operationId?: string; security?: unknown; responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };
type OpenApiObject = { openapi?: string; info?: unknown; servers?: unknown; paths?: Record<string, Record<string, Operation>>; components?: unknown };

/** A stable operationId from the method and path: `post /oauth/token` is postOauthToken. */
export function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

function isErrorBody(schema: unknown): boolean {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties !== undefined && 'error' in properties && 'error_description' in properties;
}

/**
 * What @fastify/swagger leaves to us: an operationId on each operation (one per method, so per operation rather
 * than per route), a refusal of any operation that does not say who may call it (public ones declare
 * `security: []`), and every error body as a reference to the one Error schema. The document is copied first:
 * swagger shares one object between the methods of a route, which YAML would write as anchors and aliases.
 */
function completeDocument(generated: OpenApiObject): OpenApiObject {
  const { openapi, info, servers, paths, components } = JSON.parse(JSON.stringify(generated)) as OpenApiObject;
  const document = { openapi, info, servers, paths, components };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      if (!operation.security) throw new Error(`${method.toUpperCase()} ${path}: the route schema declares no security`);
      operation.operationId = operationId(method, path);
      for (const response of Object.values(operation.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) if (isErrorBody(media.schema)) media.schema = { ...ERROR_REF };
      }
    }
  }
  return document;
}

/**
 * Registers @fastify/swagger, which collects each route's schema as the app is built: the schemas that validate
 * requests are the ones `app.swagger()` documents (HEAD routes aside). `serverUrl` is the service's ISSUER.
 */
export async function registerOpenApi(app: FastifyInstance, serverUrl: string): Promise<void> {
  await app.register(swagger, {
    // HEAD answers on every GET route (Fastify's exposeHeadRoutes), so the document lists it too.
    exposeHeadRoutes: true,
    openapi: {
      openapi: '3.1.0',
      info: DOCUMENT_INFO,
      servers: [{ url: serverUrl, description: "The service's ISSUER (every URL of its metadata starts with it)." }],
      components: {
        schemas: { Error: errorSchema as unknown as Record<string, unknown> },
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token of this service (RFC 6750).' },
          basicAuth: { type: 'http', scheme: 'basic', description: 'Client authentication: client_id and client_secret, each form-encoded (RFC 6749 §2.3.1).' },
        },
      },
    },
    // Fastify's trailing wildcard is a path parameter of its own name in OpenAPI.
    transform: ({ schema, url }) => ({ schema, url: url.replace(/\*$/, ':wildcard') }),
    transformObject: (documentObject) => completeDocument((documentObject as { openapiObject: OpenApiObject }).openapiObject) as never,
  });
}
