import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { safeReturnTo } from '../../oidc/http/return-to.js';
import { cookieOptions, cookies } from '../../oidc/http/sign-in-cookie.js';
import type { PendingFederation } from '../federation-service.js';

/** Seconds a browser may spend at the provider before its callback is refused. */
const PENDING_MAX_AGE = 600;

/** Longest cookie value read back: a pending sign-in is a few hundred bytes. */
const PENDING_MAX_LENGTH = 4096;

function pendingCookieName(config: Config): string {
  return config.cookieSecure ? '__Host-tokensmith-federation' : 'tokensmith-federation';
}

/**
 * Keeps a pending sign-in through a provider in the browser that started it, for 10 minutes: the PKCE verifier, state
 * and nonce a callback must match (so a callback in another browser, or a replayed one, finds nothing to match).
 */
export function setPendingCookie(reply: FastifyReply, config: Config, pending: PendingFederation): void {
  const value = Buffer.from(JSON.stringify(pending)).toString('base64url');
  reply.setCookie(pendingCookieName(config), value, cookieOptions(config, PENDING_MAX_AGE));
}

/** Forgets the pending sign-in: a callback uses it once. */
export function clearPendingCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(pendingCookieName(config), cookieOptions(config, 0));
}

/** The pending sign-in the browser's cookie holds, if it holds a well-formed one. */
export function pendingOf(request: FastifyRequest, config: Config): PendingFederation | undefined {
  const raw = cookies(request)[pendingCookieName(config)];
  if (raw === undefined || raw === '' || raw.length > PENDING_MAX_LENGTH) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PendingFederation>;
    const { providerId, codeVerifier, state, nonce, link } = parsed;
    if ([providerId, codeVerifier, state, nonce].some((value) => typeof value !== 'string')) return undefined;
    const pending = { providerId: providerId!, codeVerifier: codeVerifier!, state: state!, nonce: nonce!, returnTo: safeReturnTo(parsed.returnTo) };
    if (link === undefined) return pending;
    if (typeof link?.userId !== 'string' || typeof link.signInId !== 'string') return undefined;
    return { ...pending, link: { userId: link.userId, signInId: link.signInId } };
  } catch {
    return undefined;
  }
}
