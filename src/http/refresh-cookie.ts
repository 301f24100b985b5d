import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { oauthError } from '../errors.js';

/** The cookie's path: the browser sends it to the token and logout endpoints only, never to the APIs. */
export const REFRESH_COOKIE_PATH = '/oauth';

/** `__Secure-` binds the cookie to HTTPS in the browser; plain-http development (COOKIE_SECURE=false) cannot use the prefix. */
export function refreshCookieName(config: Config): string {
  return config.cookieSecure ? '__Secure-refresh_token' : 'refresh_token';
}

function cookieOptions(config: Config, maxAge: number) {
  return { httpOnly: true, secure: config.cookieSecure, sameSite: 'strict' as const, path: REFRESH_COOKIE_PATH, maxAge };
}

/**
 * Gives the routes of one plugin (token, account) reply.setCookie. Cookies are parsed only where the
 * refresh cookie is read (presentedRefreshToken), not by a hook on every request: most requests of a
 * token service (JWKS, forward-auth, introspection, client_credentials) never carry one.
 */
export async function registerCookies(app: FastifyInstance): Promise<void> {
  await app.register(cookie, { hook: false });
}

/** Sets the refresh token cookie: HttpOnly (no JavaScript can read it), Secure, SameSite=Strict, Path=/oauth. */
export function setRefreshCookie(reply: FastifyReply, config: Config, token: string, maxAge: number): void {
  reply.setCookie(refreshCookieName(config), token, cookieOptions(config, Math.max(0, maxAge)));
}

/** Clears the refresh token cookie. */
export function clearRefreshCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(refreshCookieName(config), cookieOptions(config, 0));
}

/**
 * Refuses browser requests from foreign sites for cookie clients: `Sec-Fetch-Site: cross-site`, or an
 * Origin outside ALLOWED_ORIGINS, is 403 and changes nothing. When the cookie is the credential,
 * an allowed Origin is required, since a cookie is sent by the browser on its own (CSRF).
 */
export function assertBrowserOrigin(request: FastifyRequest, config: Config, cookieIsCredential: boolean): void {
  const origin = request.headers.origin;
  const crossSite = request.headers['sec-fetch-site'] === 'cross-site';
  const allowed = origin !== undefined && config.allowedOrigins.includes(origin);
  if (crossSite || (origin !== undefined && !allowed) || (cookieIsCredential && !allowed)) {
    throw oauthError('access_denied', 'this origin may not use the refresh token cookie');
  }
}

/**
 * The refresh token a cookie client presents: the cookie, or the body parameter. Both with different
 * values is invalid_request.
 */
export function presentedRefreshToken(request: FastifyRequest, config: Config, bodyToken: string | undefined): string | undefined {
  const header = request.headers.cookie;
  const fromCookie = header === undefined ? undefined : request.server.parseCookie(header)[refreshCookieName(config)];
  assertBrowserOrigin(request, config, fromCookie !== undefined);
  if (fromCookie !== undefined && bodyToken !== undefined && fromCookie !== bodyToken) {
    throw oauthError('invalid_request', 'the refresh token in the cookie and in the body differ');
  }
  return fromCookie ?? bodyToken;
}
