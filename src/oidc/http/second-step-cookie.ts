import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { SECOND_STEP_TTL } from '../../mfa/mfa-service.js';
import { cookieOptions, cookies } from './sign-in-cookie.js';

/** The second-step cookie: a sign-in half done (the password right, the second factor to come). `__Host-`, HttpOnly, Lax. */
function secondStepCookieName(config: Config): string {
  return config.cookieSecure ? '__Host-tokensmith-second-step' : 'tokensmith-second-step';
}

/** Sets the second-step cookie, for as long as the step waits. */
export function setSecondStepCookie(reply: FastifyReply, config: Config, secret: string): void {
  reply.setCookie(secondStepCookieName(config), secret, cookieOptions(config, SECOND_STEP_TTL));
}

/** Clears it (the step is done, or gone). */
export function clearSecondStepCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(secondStepCookieName(config), cookieOptions(config, 0));
}

/** The second step's secret the browser presents, if any. */
export function secondStepSecretOf(request: FastifyRequest, config: Config): string | undefined {
  return cookies(request)[secondStepCookieName(config)] || undefined;
}
