import type { FastifyInstance } from 'fastify';
import { levelEnabled } from './lazy-request-logger.js';

/** The fields of a request's log line: the path without its query string (which may carry a token), never headers or bodies. */
export function requestLogLine(method: string, path: string, status: number, ms: number, ip: string | undefined) {
  return { method, path, status, ms: Math.round(ms * 100) / 100, ip };
}

/**
 * One log line per request, written when the response is done: method, path, status, time and client address.
 * Below `info` the hook is not registered at all: a hook that writes nothing still costs every request. The fast
 * lane (http/fast-lane.ts) writes the same line for the requests it answers.
 */
export function registerRequestLog(app: FastifyInstance): void {
  if (!levelEnabled(app.log, 'info')) return;
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(requestLogLine(request.method, request.url.split('?')[0]!, reply.statusCode, reply.elapsedTime, request.ip), 'request');
    done();
  });
}
