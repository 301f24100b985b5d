import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { BEARER_CREDENTIALS, bearerChallenge, type BearerErrorCode } from './shared/bearer-syntax.js';
import {
  INSUFFICIENT_USER_AUTHENTICATION,
  isAcrValue,
  stepUpChallenge,
  unmetAuthentication,
  type AuthenticationRequirement,
} from './shared/authentication-requirement.js';
import { VerifierError } from './errors.js';
import type { VerifiedToken, Verifier } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by fastifyVerifier. */
    auth?: VerifiedToken;
  }
}

/** Options of the Fastify plugin. */
export interface FastifyVerifierOptions {
  verifier: Verifier;
  /** The realm in WWW-Authenticate challenges. */
  realm?: string;
}

// The realm of the plugin that authenticated a request, for requireScope's challenge.
const realms = new WeakMap<FastifyRequest, string>();

function refuse(reply: FastifyReply, realm: string, status: number, code: BearerErrorCode | 'missing', description: string, scope?: string): FastifyReply {
  const body = { error: code === 'missing' ? 'invalid_token' : code, error_description: description };
  return reply
    .code(status)
    .header('www-authenticate', bearerChallenge(realm, code === 'missing' ? undefined : code, scope))
    .send(body);
}

/**
 * A Fastify plugin: a preHandler on every route registered after it (in the same scope) that verifies
 * the bearer token and sets `request.auth`, answering RFC 6750 §3 errors (401 invalid_token, 503 when
 * the revocation feed is required and down).
 */
export const fastifyVerifier: FastifyPluginAsync<FastifyVerifierOptions> = async (app, { verifier, realm = 'api' }) => {
  app.decorateRequest('auth', undefined);
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    realms.set(request, realm);
    const match = BEARER_CREDENTIALS.exec(request.headers.authorization?.trim() ?? '');
    if (!match) return refuse(reply, realm, 401, 'missing', 'a bearer access token is required');
    try {
      request.auth = await verifier.verify(match[1]!);
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error;
      if (error.code === 'temporarily_unavailable')
        return reply.code(503).header('retry-after', '2').send({ error: error.code, error_description: error.message });
      return refuse(reply, realm, 401, 'invalid_token', error.message);
    }
  });
};
// Like fastify-plugin: the hook applies to the scope that registers the plugin, not to a child scope of its own.
(fastifyVerifier as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/**
 * A preHandler that answers 401 insufficient_user_authentication (RFC 9470 §3) unless the token's sign-in meets the
 * requirement: an `acr` at least as strong (`mfa` meets `pwd`), an `auth_time` no older than `maxAge` seconds. The
 * challenge names `acr_values` and `max_age`, for the client to ask the authorization server for a step up.
 */
export function requireAuthentication(requirement: AuthenticationRequirement): preHandlerAsyncHookHandler {
  if (requirement.acr !== undefined && !isAcrValue(requirement.acr)) throw new TypeError(`unknown acr ${String(requirement.acr)}: expected pwd or mfa`);
  if (requirement.maxAge !== undefined && !(Number.isInteger(requirement.maxAge) && requirement.maxAge >= 0))
    throw new TypeError('maxAge must be whole seconds, 0 or more');
  return async function (request: FastifyRequest, reply: FastifyReply) {
    const unmet = request.auth ? unmetAuthentication(request.auth.claims, requirement, Math.floor(Date.now() / 1000)) : 'a bearer access token is required';
    if (unmet === undefined) return;
    return reply
      .code(401)
      .header('www-authenticate', stepUpChallenge(realms.get(request) ?? 'api', requirement, unmet))
      .send({ error: INSUFFICIENT_USER_AUTHENTICATION, error_description: unmet });
  };
}

/** A preHandler that answers 403 insufficient_scope (RFC 6750 §3.1) unless the token has every scope given. */
export function requireScope(...scopes: string[]): preHandlerAsyncHookHandler {
  return async function (request: FastifyRequest, reply: FastifyReply) {
    const granted = new Set(request.auth?.scope ?? []);
    if (!scopes.every((scope) => granted.has(scope)))
      return refuse(reply, realms.get(request) ?? 'api', 403, 'insufficient_scope', `requires scope: ${scopes.join(' ')}`, scopes.join(' '));
  };
}
