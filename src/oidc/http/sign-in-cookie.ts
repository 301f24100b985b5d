import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { UserRecord } from '../../store/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The person signed in at this service (the sign-in cookie), on the account page's forms. */
    pageUser?: UserRecord;
  }
}

/**
 * The sign-in cookie: `__Host-` (Secure, Path=/, no Domain, so no sibling host can set or read it), HttpOnly,
 * SameSite=Lax (sent on the top-level GET a client's redirect to /oauth/authorize is, never on a cross-site POST).
 * Plain-http development (COOKIE_SECURE=false) cannot use the prefix.
 */
export function signInCookieName(config: Config): string {
  return config.cookieSecure ? '__Host-tokensmith-sign-in' : 'tokensmith-sign-in';
}

/** The pre-sign-in cookie: a random value the login form's CSRF token is bound to before anyone is signed in. */
function browserCookieName(config: Config): string {
  return config.cookieSecure ? '__Host-tokensmith-browser' : 'tokensmith-browser';
}

/** The options of every cookie of the pages: HttpOnly, Secure (unless plain-http development), SameSite=Lax, Path=/, no Domain. */
export function cookieOptions(config: Config, maxAge: number) {
  return { httpOnly: true, secure: config.cookieSecure, sameSite: 'lax' as const, path: '/', maxAge };
}

/** The cookies a request presents, by name. */
export function cookies(request: FastifyRequest): Record<string, string | undefined> {
  const header = request.headers.cookie;
  return header === undefined ? {} : request.server.parseCookie(header);
}

/** The sign-in secret the browser presents, if any. */
export function signInSecretOf(request: FastifyRequest, config: Config): string | undefined {
  return cookies(request)[signInCookieName(config)] || undefined;
}

/** Sets the sign-in cookie (a new secret at every sign-in: no session fixation). */
export function setSignInCookie(reply: FastifyReply, config: Config, secret: string, maxAge: number): void {
  reply.setCookie(signInCookieName(config), secret, cookieOptions(config, maxAge));
}

/** Clears the sign-in cookie. */
export function clearSignInCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(signInCookieName(config), cookieOptions(config, 0));
}

/** Seconds the pre-sign-in cookie lives: long enough to fill in a form. */
const BROWSER_COOKIE_MAX_AGE = 3600;

/** The browser's pre-sign-in value, set when it has none yet; what a signed-out form's CSRF token is bound to. */
export function browserBinding(request: FastifyRequest, reply: FastifyReply, config: Config): string {
  const existing = cookies(request)[browserCookieName(config)];
  if (existing) return existing;
  const created = randomBytes(32).toString('base64url');
  reply.setCookie(browserCookieName(config), created, cookieOptions(config, BROWSER_COOKIE_MAX_AGE));
  return created;
}

/** The browser's pre-sign-in value as sent, without setting one. */
export function presentedBrowserBinding(request: FastifyRequest, config: Config): string | undefined {
  return cookies(request)[browserCookieName(config)] || undefined;
}

/** The long-lived browser cookie: which browser this is, so that a sign-in from a new one can be told to its account. */
function knownBrowserCookieName(config: Config): string {
  return config.cookieSecure ? '__Host-tokensmith-known-browser' : 'tokensmith-known-browser';
}

/** Seconds the browser cookie lives: 400 days, the most browsers keep a cookie. */
const KNOWN_BROWSER_MAX_AGE = 400 * 86_400;

/** This browser's long-lived secret (set, or renewed, at every password sign-in): the new-browser notice knows browsers by it. */
export function knownBrowser(request: FastifyRequest, reply: FastifyReply, config: Config): string {
  const secret = cookies(request)[knownBrowserCookieName(config)] || randomBytes(32).toString('base64url');
  reply.setCookie(knownBrowserCookieName(config), secret, cookieOptions(config, KNOWN_BROWSER_MAX_AGE));
  return secret;
}

/**
 * A form's CSRF token: a hash of a secret the browser holds in an HttpOnly cookie (the sign-in secret, or the
 * pre-sign-in value), which another site can neither read nor set (`__Host-`). Nothing to keep server-side.
 */
export function csrfToken(binding: string): string {
  return createHash('sha256').update('tokensmith form\0').update(binding).digest('base64url');
}

/** Whether a submitted CSRF token belongs to the binding. */
export function csrfMatches(submitted: string | undefined, binding: string | undefined): boolean {
  if (submitted === undefined || binding === undefined) return false;
  const expected = Buffer.from(csrfToken(binding));
  const actual = Buffer.from(submitted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
