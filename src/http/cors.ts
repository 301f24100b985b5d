import type { FastifyInstance } from 'fastify';

/** Seconds a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE = 600;

/**
 * CORS for ALLOWED_ORIGINS only: the request's Origin echoed exactly, with credentials allowed
 * (never `*` with credentials), and `Vary: Origin` so shared caches keep origins apart. A foreign
 * origin gets no CORS headers at all, so its page cannot read any response. With no origin allowed,
 * no response varies by Origin and no hook is registered.
 */
export function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  if (allowedOrigins.length === 0) return;
  const allowed = new Set(allowedOrigins);
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined) return done();
    reply.header('vary', 'Origin');
    if (!allowed.has(origin)) return done();
    reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .code(204)
        .header('access-control-allow-methods', 'GET, POST, DELETE')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', String(PREFLIGHT_MAX_AGE))
        .send();
      return;
    }
    done();
  });
}
