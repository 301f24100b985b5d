import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauthError, ServiceError, StoreUnavailableError, type ErrorCode } from '../errors.js';

/** Seconds a client should wait after a 503 caused by the store. */
export const STORE_RETRY_AFTER = 5;

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/**
 * The description of a schema violation: ajv's message, except that an unknown parameter is named (cut to
 * 64 characters), so that a misspelled parameter says which one it was.
 */
function validationDescription(error: Partial<FastifyError>): string {
  const first = error.validation?.[0];
  const unknown = first?.keyword === 'additionalProperties' ? (first.params as { additionalProperty?: unknown }).additionalProperty : undefined;
  if (typeof unknown !== 'string') return error.message ?? 'the request is malformed';
  const where = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'request');
  return `unknown ${where} parameter ${JSON.stringify(unknown.slice(0, 64))}`;
}

/** Turns any thrown error into the ServiceError the client sees; unexpected ones become a bare server_error. */
export function toServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  if (error instanceof StoreUnavailableError) {
    return oauthError('temporarily_unavailable', 'the service is temporarily unavailable', { 'retry-after': String(STORE_RETRY_AFTER) });
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return oauthError('invalid_request', validationDescription(fastifyError));
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, wrong content type, body too large) carry fixed messages, not internals.
    const description = fastifyError.code?.startsWith('FST_') ? (fastifyError.message ?? '') : 'the request is malformed';
    return new ServiceError(STATUS_CODES[status] ?? 'invalid_request', description);
  }
  return oauthError('server_error', 'internal server error');
}

function send(reply: FastifyReply, error: ServiceError): FastifyReply {
  return reply.code(error.status).headers(error.headers).send(error.toBody());
}

/** Installs the error and not-found handlers: every error is RFC 6749-shaped JSON, and nothing internal reaches the client. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof StoreUnavailableError) request.server.metrics?.storeUnavailable();
    const answer = toServiceError(error);
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
    return send(reply, answer);
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, oauthError('not_found', `no route for ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`)),
  );
}
