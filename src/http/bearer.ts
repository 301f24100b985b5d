import type { FastifyRequest } from 'fastify';
import { oauthError, ServiceError } from '../errors.js';
import {
  BEARER_CREDENTIALS,
  bearerChallenge,
  confirmedKey,
  DPOP_CREDENTIALS,
  dpopChallenge,
  stepUpChallenge,
  withResourceMetadata,
  type AuthenticationRequirement,
  type BearerErrorCode,
} from '@tokensmith/verifier/shared';
import type { Services } from '../services.js';
import type { UserRecord } from '../store/types.js';
import type { AccessTokenClaims } from '../tokens/verify.js';
import { scopeList } from '../tokens/scope.js';

/** The realm in WWW-Authenticate challenges (RFC 6750 §3). */
export const REALM = 'tokensmith';

/** Who a valid access token speaks for. */
export interface Caller {
  claims: AccessTokenClaims & { sid: string };
  user: UserRecord;
  /** The token's scopes that its client still holds (ClientRegistry.currentScope): what every scope check reads. */
  scopes: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user of an account route (authenticateUser), once authenticated. */
    caller?: Caller;
  }
}

/** A WWW-Authenticate Bearer challenge (RFC 6750 §3): no error attribute when no token was sent. */
export function challenge(error?: BearerErrorCode, scope?: string): Record<string, string> {
  return { 'www-authenticate': bearerChallenge(REALM, error, scope) };
}

/** 401 insufficient_user_authentication (RFC 9470 §3): the challenge names the acr_values and max_age to ask for. */
export function insufficientUserAuthentication(requirement: AuthenticationRequirement, description: string): ServiceError {
  return oauthError('insufficient_user_authentication', description, { 'www-authenticate': stepUpChallenge(REALM, requirement, description) });
}

/** The same refusal with a resource's metadata URL in its challenge (RFC 9728 §5.1); any other error as it is. */
export function withResourceMetadataOf(error: unknown, metadataUrl: string): unknown {
  if (!(error instanceof ServiceError) || error.headers['www-authenticate'] === undefined) return error;
  const headers = { ...error.headers, 'www-authenticate': withResourceMetadata(error.headers['www-authenticate'], metadataUrl) };
  return new ServiceError(error.code, error.message, headers);
}

/** 401 invalid_token, the one answer for every token that fails (RFC 6750 §3.1). */
export function invalidToken(): ServiceError {
  return oauthError('invalid_token', 'the access token is invalid, expired or revoked', challenge('invalid_token'));
}

/** 403 insufficient_scope naming the scope the request needs (RFC 6750 §3.1). */
export function insufficientScope(scope: string): ServiceError {
  return oauthError('insufficient_scope', `the access token lacks the ${scope} scope`, challenge('insufficient_scope', scope));
}

/** What verifying a request's access token uses of the services. */
export type AccessTokenServices = Pick<Services, 'verifiedTokens' | 'accessTokens' | 'dpop' | 'config'>;

/** What authenticating a user's bearer token uses of the services. */
export type BearerServices = AccessTokenServices & Pick<Services, 'tokenAcceptance' | 'users'>;

/** The request a DPoP proof must name: this one at its public URL (the issuer and its path, by default), or the one a gateway asks about (forward-auth). */
export type ProofTargetOf = (request: FastifyRequest) => { method: string; url: string };

/**
 * The claims of the request's access token, verified strictly (signature, keys, typ, issuer, expiry): sent as
 * `Authorization: Bearer`, or as `Authorization: DPoP` with a DPoP proof of the key the token is bound to (RFC 9449
 * §7.1: htm and htu of `target`, ath of the token, the key its `cnf.jkt` names). A bound token sent as a bearer token is
 * refused (§7.2: whoever holds it without the key cannot use it), and so is an unbound one sent as DPoP. 401 with a bare
 * challenge when there is no token, 401 invalid_token (or invalid_dpop_proof) when it fails. Revocation is the caller's.
 */
export async function verifiedBearer(request: FastifyRequest, services: AccessTokenServices, target?: ProofTargetOf): Promise<AccessTokenClaims> {
  const authorization = request.headers.authorization;
  const dpopToken = dpopAccessToken(authorization);
  const token = dpopToken ?? bearerToken(authorization);
  if (token === undefined) throw oauthError('invalid_token', 'a bearer access token is required', challenge());
  let claims: AccessTokenClaims;
  try {
    claims = await services.verifiedTokens.verify(token, services.accessTokens);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    throw dpopToken === undefined ? invalidToken() : services.dpop.refusal('resource', 'invalid_token', 'the access token is invalid, expired or revoked');
  }
  const bound = confirmedKey(claims);
  if (dpopToken === undefined) {
    if (bound !== undefined) throw invalidToken();
    return claims;
  }
  if (bound === undefined) throw services.dpop.refusal('resource', 'invalid_token', 'the access token is not bound to a DPoP key: send it as a bearer token');
  const proofTarget = (target ?? ((of) => ({ method: of.method, url: `${services.config.issuer}${of.url}` })))(request);
  const proof = await services.dpop.check(request.headers.dpop, { ...proofTarget, accessToken: token }, 'resource');
  if (proof === undefined) throw services.dpop.refusal('resource', 'invalid_dpop_proof', 'a DPoP proof is required with a DPoP-bound access token');
  if (proof.jkt !== bound) throw services.dpop.refusal('resource', 'invalid_dpop_proof', "the DPoP proof's key is not the one the access token is bound to");
  return claims;
}

/**
 * A refusal as a DPoP client reads it (RFC 9449 §7.1): a Bearer challenge of a request that sent `Authorization: DPoP`
 * becomes a DPoP challenge with the same error; anything else as it is.
 */
export function inSchemeOf(request: FastifyRequest, error: unknown): unknown {
  if (!(error instanceof ServiceError) || !error.headers['www-authenticate']?.startsWith('Bearer')) return error;
  if (!/^dpop\s/i.test(request.headers.authorization ?? '')) return error;
  const code = error.code === 'insufficient_scope' || error.code === 'invalid_request' ? error.code : 'invalid_token';
  const scope = /scope="([^"]*)"/.exec(error.headers['www-authenticate'])?.[1];
  return new ServiceError(error.code, error.message, { ...error.headers, 'www-authenticate': dpopChallenge(code, undefined, scope) }, error.status);
}

/** The access token of an `Authorization: DPoP` header (RFC 9449 §7.1); undefined for another scheme. */
export function dpopAccessToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !/^dpop(\s|$)/i.test(authorization)) return undefined;
  const match = DPOP_CREDENTIALS.exec(authorization.trim());
  if (!match) throw oauthError('invalid_request', 'the Authorization header is malformed', challenge('invalid_request'));
  return match[1];
}

/** The bearer token of the Authorization header (RFC 6750 §2.1); tokens in the query string are never read. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !/^bearer(\s|$)/i.test(authorization)) return undefined;
  const match = BEARER_CREDENTIALS.exec(authorization.trim());
  if (!match) throw oauthError('invalid_request', 'the Authorization header is malformed', challenge('invalid_request'));
  return match[1];
}

/**
 * Authenticates a user's request: a valid access token of this service (verified strictly), of a
 * session that has not been ended, for a user who still exists and is enabled. Failures are
 * 401 invalid_token with an RFC 6750 §3 challenge.
 */
export async function authenticateUser(request: FastifyRequest, services: BearerServices): Promise<Caller> {
  const claims = await verifiedBearer(request, services);
  // Only user sessions carry a sid; a client_credentials token has no account.
  const verdict = await services.tokenAcceptance.judge(claims, { revocation: 'store', holder: 'user' });
  if (!verdict.accepted) throw invalidToken();
  const user = await services.users.findActive(claims.sub);
  if (!user) throw invalidToken();
  return { claims: claims as Caller['claims'], user, scopes: scopeList(verdict.scope) };
}
