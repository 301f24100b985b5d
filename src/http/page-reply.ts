import type { FastifyInstance, FastifyReply } from 'fastify';
import { StoreUnavailableError, type ServiceError } from '../errors.js';
import { pageCsp, problemPage, renderPage, type Page } from './page-layout.js';
import { toServiceError } from './errors.js';

/** Each page reply's Content-Security-Policy, until the plugin's onSend hook sets it. */
const PAGE_CSP = new WeakMap<FastifyReply, string>();

/**
 * Gives a plugin's page replies their own Content-Security-Policy, and its errors pages (registerPageErrors). The app-wide hook (security-headers.ts) sets
 * the JSON API's, which forbids forms and styles; this plugin-level hook runs after it and replaces it.
 */
export function registerPageHeaders(app: FastifyInstance): void {
  registerPageErrors(app);
  app.addHook('onSend', (_request, reply, payload, done) => {
    const csp = PAGE_CSP.get(reply);
    if (csp !== undefined) reply.header('content-security-policy', csp);
    done(null, payload);
  });
}

/** Sends a server-rendered page, never cached (it may carry a CSRF token). */
export function sendPage(reply: FastifyReply, status: number, page: Page): FastifyReply {
  PAGE_CSP.set(reply, pageCsp(page.formTargets, page.imageSources));
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderPage(page, reply.server.pageBranding));
}

/** What a page says while the store (or the password hashing) cannot answer. */
export const UNAVAILABLE_TEXT = 'The sign-in service is unavailable for a moment. Please try again shortly.';

/** What a page says about a 429: how long to wait, from its Retry-After. */
export function waitText(error: ServiceError): string {
  return `Please wait ${error.headers['retry-after'] ?? 'a while'} seconds and try again.`;
}

/** What a person reads on an error page, by the error's code; other codes show their own description. */
const PAGE_PROBLEMS: Partial<Record<string, { title: string; text: (error: ServiceError) => string }>> = {
  temporarily_unavailable: { title: 'Service unavailable', text: () => UNAVAILABLE_TEXT },
  too_many_requests: { title: 'Too many requests', text: (error) => `Too many requests. ${waitText(error)}` },
  server_error: { title: 'Something went wrong', text: () => 'Something went wrong on our side. Please try again.' },
};

/**
 * Gives a plugin's page routes error pages instead of JSON: the same answer as the API's (toServiceError: status,
 * headers such as Retry-After, nothing internal), in words; unexpected failures are logged once, as the API's are.
 */
export function registerPageErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof StoreUnavailableError) request.server.metrics?.storeUnavailable();
    const answer = toServiceError(error);
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
    const problem = PAGE_PROBLEMS[answer.code];
    const page = problemPage(problem?.title ?? 'Request refused', problem?.text(answer) ?? answer.message);
    return sendPage(reply.headers(answer.headers), answer.status, page);
  });
}
