import type { FastifyInstance, FastifyReply } from 'fastify';
import { pageCsp, renderPage, type Page } from '../pages/layout.js';

/** Each page reply's Content-Security-Policy, until the plugin's onSend hook sets it. */
const PAGE_CSP = new WeakMap<FastifyReply, string>();

/**
 * Gives a plugin's page replies their own Content-Security-Policy. The app-wide hook (security-headers.ts) sets
 * the JSON API's, which forbids forms and styles; this plugin-level hook runs after it and replaces it.
 */
export function registerPageHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    const csp = PAGE_CSP.get(reply);
    if (csp !== undefined) reply.header('content-security-policy', csp);
    done(null, payload);
  });
}

/** Sends a server-rendered page, never cached (it may carry a CSRF token). */
export function sendPage(reply: FastifyReply, status: number, page: Page): FastifyReply {
  PAGE_CSP.set(reply, pageCsp(page.formTargets));
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(renderPage(page));
}
