import type { RouteOptions } from 'fastify';

interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  consumes?: string[];
  security?: Array<Record<string, string[]>>;
  body?: Record<string, unknown>;
  querystring?: Record<string, unknown>;
  response?: Record<string, Record<string, unknown>>;
}

/** The document's fixed head. */
export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
  license: { name: string; identifier?: string };
}

/** Fastify's `:name` parameters and trailing `*` wildcard in OpenAPI's `{name}` form. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{wildcard}');
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

function isErrorBody(body: Record<string, unknown>): boolean {
  const properties = body.properties as Record<string, unknown> | undefined;
  return properties !== undefined && 'error' in properties && 'error_description' in properties;
}

function responses(schema: RouteSchema): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [status, { description, ...body }] of Object.entries(schema.response ?? {})) {
    const text = typeof description === 'string' ? description : `Status ${status}`;
    if (body.content) result[status] = { description: text, content: body.content };
    else if (body.type === 'null') result[status] = { description: text };
    else result[status] = { description: text, content: { 'application/json': { schema: isErrorBody(body) ? ERROR_REF : body } } };
  }
  return result;
}

/** A stable operationId from the method and path: `post /oauth/token` is postOauthToken. */
export function operationId(method: string, url: string): string {
  const words = openApiPath(url)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

function parameters(schema: RouteSchema, url: string): Record<string, unknown>[] {
  const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]!);
  if (url.endsWith('*')) names.push('wildcard');
  const inPath = names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const query = schema.querystring as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  const inQuery = Object.entries(query?.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: query?.required?.includes(name) ?? false,
    schema: property,
  }));
  return [...inPath, ...inQuery];
}

function operation(route: RouteOptions, method: string): Record<string, unknown> {
  const schema = (route.schema ?? {}) as RouteSchema;
  // Every operation says who may call it, public ones with an explicit `security: []`.
  if (!schema.security) throw new Error(`${method} ${route.url}: the route schema declares no security`);
  const op: Record<string, unknown> = {
    operationId: operationId(method, route.url),
    summary: schema.summary ?? '',
    description: schema.description ?? '',
    tags: schema.tags ?? [],
  };
  const params = parameters(schema, route.url);
  if (params.length > 0) op.parameters = params;
  op.security = schema.security;
  if (schema.body) {
    const content = Object.fromEntries((schema.consumes ?? ['application/json']).map((type) => [type, { schema: schema.body }]));
    op.requestBody = { required: true, content };
  }
  op.responses = responses(schema);
  return op;
}

/** The OpenAPI 3.1 document of the given routes, built from their schemas: the same ones that validate requests. */
export function openApiDocument(
  routes: readonly RouteOptions[],
  info: DocumentInfo,
  errorSchema: Record<string, unknown>,
  serverUrl: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...routes].sort((a, b) => a.url.localeCompare(b.url));
  for (const route of sorted) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const path = (paths[openApiPath(route.url)] ??= {});
      path[method.toLowerCase()] = operation(route, method);
    }
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: serverUrl, description: "The service's ISSUER (every URL of its metadata starts with it)." }],
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token of this service (RFC 6750).' },
        basicAuth: { type: 'http', scheme: 'basic', description: 'Client authentication: client_id and client_secret, each form-encoded (RFC 6749 §2.3.1).' },
      },
    },
  };
}
