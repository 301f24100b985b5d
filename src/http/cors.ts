import type { FastifyInstance } from 'fastify';

/** Seconds a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE = 600;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A JSON endpoint meant for browser apps on ALLOWED_ORIGINS (BROWSER_API): the only routes that answer CORS. */
    cors?: boolean;
  }
}

/**
 * The route config of a JSON endpoint meant for browser apps (token, revocation, logout, the account API, UserInfo,
 * discovery, JWKS, protected resource metadata). Every other route, every page and form target above all, answers no CORS header: an allowed
 * origin must not read a page's CSRF token or a signed-in person's name (`test/security/cors-scope.test.ts`).
 */
export const BROWSER_API = { cors: true } as const;

/** A route URL (`/account/sessions/:sid`) as a pattern of the paths it matches. */
function pathPattern(url: string): RegExp {
  const escaped = url
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:[^/]+/g, '[^/]+')
    .replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * CORS for ALLOWED_ORIGINS on the routes declared BROWSER_API only: the request's Origin echoed exactly, with
 * credentials allowed (never `*` with credentials), and `Vary: Origin` so shared caches keep origins apart. A foreign
 * origin gets no CORS headers at all, so its page cannot read any response. A preflight (OPTIONS, which has no route
 * of its own) is answered for the paths of BROWSER_API routes. With no origin allowed, no hook is registered.
 */
export function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  if (allowedOrigins.length === 0) return;
  const allowed = new Set(allowedOrigins);
  const browserPaths: RegExp[] = [];
  app.addHook('onRoute', (route) => {
    if (route.config?.cors === true) browserPaths.push(pathPattern(route.url ?? route.path));
  });
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined) return done();
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    const path = request.url.split('?', 1)[0]!;
    if (!(preflight ? browserPaths.some((pattern) => pattern.test(path)) : request.routeOptions.config.cors === true)) return done();
    reply.header('vary', 'Origin');
    if (!allowed.has(origin)) return done();
    reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
    if (!preflight) reply.header('access-control-expose-headers', 'dpop-nonce, www-authenticate');
    if (preflight) {
      reply
        .code(204)
        .header('access-control-allow-methods', 'GET, POST, DELETE')
        // RFC 9449: a browser app sends its proof in the DPoP header, and reads the server's nonce from DPoP-Nonce.
        .header('access-control-allow-headers', 'authorization, content-type, dpop')
        .header('access-control-max-age', String(PREFLIGHT_MAX_AGE))
        .send();
      return;
    }
    done();
  });
}
