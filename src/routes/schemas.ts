import { ERROR_STATUS } from '../errors.js';

/** The JSON Schema of every error body (RFC 6749 §5.2). */
export const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', enum: Object.keys(ERROR_STATUS) },
    error_description: { type: 'string' },
  },
} as const;

/** Response entries for the given error statuses, each with the error body. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema & { description: string }> {
  return Object.fromEntries(statuses.map((status) => [status, { ...errorSchema, description: `Error (${status})` }]));
}

/** Headers that keep token and account responses out of every cache (RFC 6749 §5.1). */
export const NO_STORE_HEADERS = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;
