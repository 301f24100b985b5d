import { PAGE_LIMIT_MAX, type PageRequest } from '../pagination.js';
import { ADMIN_SCOPE } from '../admin-scope.js';
import { errorResponses } from '../../routes/schemas.js';
import type { Services } from '../../services.js';

/** What the admin routes use of the services: the admin services alone. */
export type AdminRouteServices = Pick<Services, 'admin'>;

/** OpenAPI security of every admin operation: a bearer token with the admin scope. */
export const ADMIN_SECURITY = [{ bearerAuth: [ADMIN_SCOPE] }];

/** The errors any admin operation may answer, beside its own. */
export function adminErrors(...statuses: number[]) {
  return errorResponses(...new Set([400, 401, 403, 429, 503, ...statuses].sort()));
}

/** The query of a list: cursor pagination (and what the list adds). */
export function pageQuery(extra: Record<string, object> = {}) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      cursor: { type: 'string', maxLength: 1024, description: "The previous page's next_cursor." },
      limit: { type: 'string', pattern: '^(100|[1-9][0-9]?)$', description: `Items per page, 1 to ${PAGE_LIMIT_MAX} (default 50).` },
      ...extra,
    },
  } as const;
}

/** A list request's query as the admin services take it. */
export function pageRequest(query: { cursor?: string; limit?: string }): PageRequest {
  return { cursor: query.cursor, limit: query.limit === undefined ? undefined : Number(query.limit) };
}

/** The 200 response of a list: a page of items and the cursor of the next page (null on the last). */
export function pageResponse(description: string, item: object) {
  return {
    type: 'object',
    description,
    required: ['items', 'next_cursor'],
    properties: { items: { type: 'array', items: item }, next_cursor: { type: ['string', 'null'] } },
  } as const;
}

/** A path parameter that names something. */
export function pathParam(name: string, maxLength: number, description?: string) {
  return {
    type: 'object',
    required: [name],
    properties: { [name]: { type: 'string', minLength: 1, maxLength, ...(description === undefined ? {} : { description }) } },
  } as const;
}

/** A 204 answer. */
export const NO_CONTENT = { 204: { description: 'Done', type: 'null' } } as const;
