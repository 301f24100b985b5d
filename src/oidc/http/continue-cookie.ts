import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { safeReturnTo } from './return-to.js';
import { cookieOptions, cookies } from './sign-in-cookie.js';

/** Seconds the browser remembers the request to go back to while its person sets up a second factor. */
const CONTINUE_MAX_AGE = 900;

/** The continue cookie: the authorization request to go back to once a second factor is set up (MFA=required). */
function continueCookieName(config: Config): string {
  return config.cookieSecure ? '__Host-tokensmith-continue' : 'tokensmith-continue';
}

/** Remembers the authorization request (a path on this service) to offer again on the account page. */
export function setContinueCookie(reply: FastifyReply, config: Config, returnTo: string): void {
  reply.setCookie(continueCookieName(config), returnTo, cookieOptions(config, CONTINUE_MAX_AGE));
}

/** The authorization request the browser was on its way to, if any: only ever a path of the authorization endpoint. */
export function continueTo(request: FastifyRequest, config: Config): string | undefined {
  return safeReturnTo(cookies(request)[continueCookieName(config)]);
}
