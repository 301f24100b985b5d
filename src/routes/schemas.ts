import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLIENT_AUTH_PROPERTIES } from '../http/client-auth.js';
import { MAX_TOKEN_LENGTH } from '@tokensmith/verifier/shared';
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

/** The response schema of a server-rendered page (login, consent, sign-out). */
export function HTML_RESPONSE(description: string) {
  return { description, content: { 'text/html': { schema: { type: 'string' } } } };
}

/** OpenAPI security of a public operation: no credentials. */
export const PUBLIC: Array<Record<string, string[]>> = [];

/**
 * OpenAPI security of the OAuth endpoints (RFC 6749 §2.3): HTTP Basic for confidential clients, or none in the
 * header (client_secret_post in the body, or a public client's client_id alone).
 */
export const CLIENT_AUTHENTICATION: Array<Record<string, string[]>> = [{ basicAuth: [] }, {}];

/** Headers that keep token and account responses out of every cache (RFC 6749 §5.1). */
export const NO_STORE_HEADERS = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * An onSend hook that adds NO_STORE_HEADERS to every response of a route, errors included. A callback
 * hook: these routes are the hot ones, and an async hook costs a promise per request.
 */
export function noStore(_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void): void {
  reply.headers(NO_STORE_HEADERS);
  done(null, payload);
}

/** The body types the OAuth endpoints take: forms as RFC 6749 says, and JSON. */
export const FORM_OR_JSON = ['application/x-www-form-urlencoded', 'application/json'];

/** The body of the endpoints that take a token (RFC 7009 §2.1, RFC 7662 §2.1) with client authentication. */
export function presentedTokenBody(action: string) {
  return {
    type: 'object',
    required: ['token'],
    properties: {
      token: { type: 'string', minLength: 1, maxLength: MAX_TOKEN_LENGTH, description: `The token to ${action}.` },
      token_type_hint: { type: 'string', maxLength: 64, description: "access_token or refresh_token; optional, the token's form decides." },
      ...CLIENT_AUTH_PROPERTIES,
    },
  } as const;
}
