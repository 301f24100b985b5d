import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { BEARER_CREDENTIALS, bearerChallenge, type BearerErrorCode } from './shared/bearer-syntax.js';
import { METADATA_PATH, metadataUrlOf, protectedResourceMetadata, withResourceMetadata } from './shared/resource-metadata.js';
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
  /**
   * This service's resource identifier (RFC 8707 §2, RFC 9728 §1.2), when it publishes its metadata
   * (fastifyResourceMetadata): every challenge then names where that is (`resource_metadata`, RFC 9728 §5.1).
   */
  resource?: string;
}

/** How the plugin that authenticated a request words its challenges: its realm, and its metadata URL if it has one. */
interface Challenger {
  realm: string;
  metadataUrl: string | undefined;
}

// The challenger of the plugin that authenticated a request, for requireScope's and requireAuthentication's challenges.
const challengers = new WeakMap<FastifyRequest, Challenger>();
const DEFAULT_CHALLENGER: Challenger = { realm: 'api', metadataUrl: undefined };

function refuse(reply: FastifyReply, by: Challenger, status: number, code: BearerErrorCode | 'missing', description: string, scope?: string): FastifyReply {
  const body = { error: code === 'missing' ? 'invalid_token' : code, error_description: description };
  const challenge = bearerChallenge(by.realm, code === 'missing' ? undefined : code, scope);
  return reply.code(status).header('www-authenticate', withResourceMetadata(challenge, by.metadataUrl)).send(body);
}

/**
 * A Fastify plugin: a preHandler on every route registered after it (in the same scope) that verifies
 * the bearer token and sets `request.auth`, answering RFC 6750 §3 errors (401 invalid_token, 503 when
 * the revocation feed is required and down).
 */
export const fastifyVerifier: FastifyPluginAsync<FastifyVerifierOptions> = async (app, { verifier, realm = 'api', resource }) => {
  const challenger: Challenger = { realm, metadataUrl: resource === undefined ? undefined : metadataUrlOf(resource) };
  app.decorateRequest('auth', undefined);
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    challengers.set(request, challenger);
    const match = BEARER_CREDENTIALS.exec(request.headers.authorization?.trim() ?? '');
    if (!match) return refuse(reply, challenger, 401, 'missing', 'a bearer access token is required');
    try {
      request.auth = await verifier.verify(match[1]!);
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error;
      if (error.code === 'temporarily_unavailable')
        return reply.code(503).header('retry-after', '2').send({ error: error.code, error_description: error.message });
      return refuse(reply, challenger, 401, 'invalid_token', error.message);
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
    const by = challengers.get(request) ?? DEFAULT_CHALLENGER;
    return reply
      .code(401)
      .header('www-authenticate', withResourceMetadata(stepUpChallenge(by.realm, requirement, unmet), by.metadataUrl))
      .send({ error: INSUFFICIENT_USER_AUTHENTICATION, error_description: unmet });
  };
}

/** A preHandler that answers 403 insufficient_scope (RFC 6750 §3.1) unless the token has every scope given. */
export function requireScope(...scopes: string[]): preHandlerAsyncHookHandler {
  return async function (request: FastifyRequest, reply: FastifyReply) {
    const granted = new Set(request.auth?.scope ?? []);
    if (!scopes.every((scope) => granted.has(scope)))
      return refuse(reply, challengers.get(request) ?? DEFAULT_CHALLENGER, 403, 'insufficient_scope', `requires scope: ${scopes.join(' ')}`, scopes.join(' '));
  };
}

/** Options of fastifyResourceMetadata: what the service says of itself (RFC 9728 §2). */
export interface ResourceMetadataOptions {
  /** Its resource identifier: an https URL (http on localhost for development) whose host is this service's. */
  resource: string;
  /** The issuers whose tokens it accepts: the tokensmith service's issuer. */
  authorizationServers: readonly string[];
  /** The scopes it accepts (`scopes_supported`), for clients to ask for. */
  scopes?: readonly string[];
  /** A name people read (`resource_name`). */
  name?: string;
}

/**
 * A Fastify plugin that publishes the service's protected resource metadata at
 * `/.well-known/oauth-protected-resource<path of resource>` (RFC 9728 §3), public. Register it outside the scope of
 * fastifyVerifier, whose `resource` option then points every challenge here.
 */
export const fastifyResourceMetadata: FastifyPluginAsync<ResourceMetadataOptions> = async (app, options) => {
  const { pathname } = new URL(options.resource);
  const body = JSON.stringify(
    protectedResourceMetadata({ resource: options.resource, authorizationServers: options.authorizationServers, scopes: options.scopes, name: options.name }),
  );
  app.get(`${METADATA_PATH}${pathname === '/' ? '' : pathname}`, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(body),
  );
};
(fastifyResourceMetadata as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
