import type { FastifyInstance } from 'fastify';
import { levelEnabled } from '../perf/lazy-request-logger.js';

/**
 * One log line per request, written when the response is done: method, path (never the query
 * string, which may carry a token), status, time and client address. Headers and bodies are never logged.
 * Below `info` the hook is not registered at all: a hook that writes nothing still costs every request.
 */
export function registerRequestLog(app: FastifyInstance): void {
  if (!levelEnabled(app.log, 'info')) return;
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        ip: request.ip,
      },
      'request',
    );
    done();
  });
}
