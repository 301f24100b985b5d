import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreUnavailableError, type ServiceError } from '../errors.js';
import { pageCsp, problemPage, renderPage, type Page } from './page-layout.js';
import { ENGLISH_ONLY, type PageText } from './page-text.js';
import { NO_BRANDING } from './page-branding.js';
import type { MessageKey } from './locales/en.js';
import { toServiceError } from './errors.js';

/** Each page reply's Content-Security-Policy, until the plugin's onSend hook sets it. */
const PAGE_CSP = new WeakMap<FastifyReply, string>();

/**
 * Gives a plugin's page replies their own Content-Security-Policy, and its errors pages (registerPageErrors). The app-wide hook (security-headers.ts) sets
 * the JSON API's, which forbids forms and styles; this plugin-level hook runs after it and replaces it.
 */
export function registerPageHeaders(app: FastifyInstance): void {
  // A plugin of pages serves them in any Fastify instance: without the app's branding and translations, plain English.
  if (!app.hasDecorator('pageBranding')) app.decorate('pageBranding', NO_BRANDING);
  if (!app.hasDecorator('pageLocales')) app.decorate('pageLocales', ENGLISH_ONLY);
  registerPageErrors(app);
  app.addHook('onSend', (_request, reply, payload, done) => {
    const csp = PAGE_CSP.get(reply);
    if (csp !== undefined) reply.header('content-security-policy', csp);
    done(null, payload);
  });
}

/** Sends a server-rendered page, never cached (it may carry a CSRF token). */
export function sendPage(reply: FastifyReply, status: number, page: Page): FastifyReply {
  PAGE_CSP.set(reply, pageCsp(page.formTargets, page.imageSources, page.passkeys));
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderPage(page, reply.server.pageBranding));
}

/** A field of a query or a form body, when it is one string. */
function field(source: unknown, name: string): string | undefined {
  const value = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The `ui_locales` of the authorization request a page serves (OpenID Connect Core §3.1.2.1): on the request itself
 * (GET /oauth/authorize), inside the `return_to` it continues (the login and registration pages), or inside the
 * `authorization_request` a consent form sends back.
 */
function uiLocalesOf(request: FastifyRequest): string | undefined {
  for (const source of [request.query, request.body]) {
    const direct = field(source, 'ui_locales');
    if (direct !== undefined) return direct;
    const returnTo = field(source, 'return_to');
    const continued = returnTo === undefined ? field(source, 'authorization_request') : returnTo.split('?')[1];
    const nested = continued === undefined ? undefined : (new URLSearchParams(continued).get('ui_locales') ?? undefined);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

/** The words of the pages for this request: the language of its ui_locales, else of its Accept-Language (page-text.ts). */
export function pageText(request: FastifyRequest): PageText {
  return request.server.pageLocales.pick(uiLocalesOf(request), request.headers['accept-language']);
}

/**
 * A problem page in the request's language: its title and its text by message, or a description that stays as
 * written (a malformed request's, meant for the application's developers).
 */
export function problemPageFor(request: FastifyRequest, title: MessageKey, description: MessageKey | { asWritten: string }): Page {
  const text = pageText(request);
  return problemPage(text.text(title), typeof description === 'string' ? text.text(description) : description.asWritten, text.lang);
}

/** What a page says about a 429: how long to wait, from its Retry-After. */
export function waitText(text: PageText, error: ServiceError): string {
  const seconds = error.headers['retry-after'];
  return seconds === undefined ? text.text('wait.while') : text.text('wait.seconds', { seconds });
}

/** What a person reads on an error page, by the error's code; other codes show their own description. */
const PAGE_PROBLEMS: Partial<Record<string, (text: PageText, error: ServiceError) => { title: string; text: string }>> = {
  temporarily_unavailable: (text) => ({ title: text.text('problem.unavailable_title'), text: text.text('problem.unavailable_text') }),
  too_many_requests: (text, error) => ({
    title: text.text('problem.too_many_title'),
    text: text.text('problem.too_many_text', { wait: waitText(text, error) }),
  }),
  server_error: (text) => ({ title: text.text('problem.server_title'), text: text.text('problem.server_text') }),
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
    const text = pageText(request);
    const problem = PAGE_PROBLEMS[answer.code]?.(text, answer);
    const page = problemPage(problem?.title ?? text.text('problem.refused_title'), problem?.text ?? answer.message, text.lang);
    return sendPage(reply.headers(answer.headers), answer.status, page);
  });
}
