import type { FastifyInstance } from 'fastify';

/**
 * Headers on every response. They suit the JSON API, where nothing may be sniffed, framed, referred or scripted; the
 * hosted pages replace the Content-Security-Policy with one that allows their style and forms (page-reply.ts).
 */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'cross-origin-resource-policy': 'same-site',
} as const;

/** The headers of every response: the security headers, and Strict-Transport-Security when hstsMaxAge > 0. */
export function responseHeaders(hstsMaxAge: number): Readonly<Record<string, string>> {
  return hstsMaxAge > 0 ? { ...SECURITY_HEADERS, 'strict-transport-security': `max-age=${hstsMaxAge}; includeSubDomains` } : { ...SECURITY_HEADERS };
}

/**
 * Adds the security headers to every response, Strict-Transport-Security when serving behind TLS
 * (hstsMaxAge > 0), and `Connection: close` once `closing()` says the server is shutting down, so a
 * keep-alive client cannot hold a closing server open. One callback hook for all three: every hook
 * costs every request, and a promise per hook more so.
 */
export function registerResponseHeaders(app: FastifyInstance, hstsMaxAge: number, closing: () => boolean): void {
  const headers = responseHeaders(hstsMaxAge);
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(headers);
    if (closing()) reply.header('connection', 'close');
    done(null, payload);
  });
}
