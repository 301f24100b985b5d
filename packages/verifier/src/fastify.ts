import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { BEARER_CREDENTIALS, bearerChallenge, type BearerErrorCode } from './shared/bearer-syntax.js';
import { DPOP_CREDENTIALS, dpopChallenge } from './shared/dpop-proof.js';
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
  /**
   * The service's base URL as clients call it (`https://api.example.com`), for the `htu` of DPoP proofs (RFC 9449
   * §4.3): the request's path is appended. By default the request's own protocol and host (Fastify's, which follow
   * X-Forwarded-Proto and X-Forwarded-Host under `trustProxy`).
   */
  publicUrl?: string;
}

/** How the plugin that authenticated a request words its challenges: its realm, and its metadata URL if it has one. */
interface Challenger {
  realm: string;
  metadataUrl: string | undefined;
  /** Whether the request sent its token as DPoP (RFC 9449 §7.1): its challenges are DPoP challenges. */
  dpop?: boolean;
}

// The challenger of the plugin that authenticated a request, for requireScope's and requireAuthentication's challenges.
const challengers = new WeakMap<FastifyRequest, Challenger>();
const DEFAULT_CHALLENGER: Challenger = { realm: 'api', metadataUrl: undefined };

function refuse(
  reply: FastifyReply,
  by: Challenger,
  status: number,
  code: BearerErrorCode | 'invalid_dpop_proof' | 'missing',
  description: string,
  scope?: string,
): FastifyReply {
  const body = { error: code === 'missing' ? 'invalid_token' : code, error_description: description };
  const challenge =
    by.dpop === true || code === 'invalid_dpop_proof'
      ? dpopChallenge(code === 'missing' ? undefined : code, undefined, scope)
      : bearerChallenge(by.realm, code === 'missing' ? undefined : code, scope);
  return reply.code(status).header('www-authenticate', withResourceMetadata(challenge, by.metadataUrl)).send(body);
}

/**
 * A Fastify plugin: a preHandler on every route registered after it (in the same scope) that verifies
 * the access token and sets `request.auth`: `Authorization: Bearer`, or `Authorization: DPoP` with the proof of the
 * key the token is bound to (RFC 9449 §7.1; a bound token sent as a bearer token is refused, §7.2). It answers RFC 6750
 * §3 errors (401 invalid_token, 503 when the revocation feed is required and down), and RFC 9449 ones with a DPoP
 * challenge to a DPoP request (401 invalid_dpop_proof).
 */
export const fastifyVerifier: FastifyPluginAsync<FastifyVerifierOptions> = async (app, { verifier, realm = 'api', resource, publicUrl }) => {
  const challenger: Challenger = { realm, metadataUrl: resource === undefined ? undefined : metadataUrlOf(resource) };
  const dpopChallenger: Challenger = { ...challenger, dpop: true };
  const base = publicUrl?.replace(/\/+$/, '');
  app.decorateRequest('auth', undefined);
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const authorization = request.headers.authorization?.trim() ?? '';
    const dpop = DPOP_CREDENTIALS.exec(authorization);
    const by = dpop ? dpopChallenger : challenger;
    challengers.set(request, by);
    const match = dpop ?? BEARER_CREDENTIALS.exec(authorization);
    if (!match) return refuse(reply, challenger, 401, 'missing', 'a bearer access token is required');
    const proof = request.headers.dpop;
    const presented = dpop && {
      proof: Array.isArray(proof) ? proof.join(',') : proof,
      method: request.method,
      url: `${base ?? `${request.protocol}://${request.host}`}${request.url}`,
    };
    try {
      request.auth = await verifier.verify(match[1]!, presented ? { dpop: presented } : {});
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error;
      if (error.code === 'temporarily_unavailable')
        return reply.code(503).header('retry-after', '2').send({ error: error.code, error_description: error.message });
      return refuse(reply, by, 401, error.code === 'invalid_dpop_proof' ? 'invalid_dpop_proof' : 'invalid_token', error.message);
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
