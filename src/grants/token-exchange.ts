import type { Client } from '../clients/client.js';
import { oauthError, ServiceError } from '../errors.js';
import type { RequestOrigin } from '../request-origin.js';
import { issueAccessToken, tokenTypeOf, type Actor } from '../tokens/access-token.js';
import { grantScope, scopeList } from '../tokens/scope.js';
import type { AccessTokenClaims } from '../tokens/verify.js';
import { SCOPE_PARAMETER, type Grant, type GrantResult, type GrantServices, type TokenParams } from './grant.js';
import { TOKEN_EXCHANGE } from './grant-type.js';

/** The token type of an access token (RFC 8693 §3): the only one taken, and the only one issued. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** How deep a chain of acting services may grow (nested `act`): a loop of exchanges stops here. */
const MAX_ACTORS = 5;

/** RFC 8693 §2.2.2: a subject token that is invalid, or unacceptable by policy, is invalid_request. */
function unacceptableSubject(description: string): ServiceError {
  return oauthError('invalid_request', description);
}

function actorDepth(actor: unknown): number {
  let depth = 0;
  for (let current = actor; typeof current === 'object' && current !== null; current = (current as Actor).act) depth += 1;
  return depth;
}

/** The subject token, verified and judged: this service's, live (its session too), and meant for a resource the client serves. */
async function acceptedSubject(params: TokenParams, client: Client, services: GrantServices): Promise<{ claims: AccessTokenClaims; scope: string }> {
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw unacceptableSubject(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
  let claims: AccessTokenClaims;
  try {
    claims = await services.verifiedTokens.verify(params.subject_token!, services.accessTokens);
  } catch (error) {
    if (error instanceof ServiceError) throw unacceptableSubject('the subject token is invalid, expired or revoked');
    throw error;
  }
  const verdict = await services.tokenAcceptance.judge(claims, { revocation: 'store' });
  if (!verdict.accepted) throw unacceptableSubject('the subject token is invalid, expired or revoked');
  // The client acts for the subject only with a token meant for a resource it serves (RESOURCES_FILE exchanged_by).
  const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
  const served = audiences.some((audience) => services.resources.get(audience)?.exchangedBy.includes(client.clientId) === true);
  if (!served) throw unacceptableSubject('the subject token is not meant for a resource this client may exchange tokens of');
  if (actorDepth(claims.act) >= MAX_ACTORS) throw unacceptableSubject('the chain of acting services is too long');
  return { claims, scope: verdict.scope };
}

/**
 * The token exchange grant (RFC 8693): a service that received a person's access token exchanges it for one meant for
 * another resource, to call onward for them. Only impersonation's delegation form: a subject token is required, the
 * new token names the service in `act` (nested for a chain, §4.1), keeps the person's `sub`, sign-in (`sid`, so ending
 * the session ends it) and authentication, its scope equal or narrower, and never outlives the subject token. Which
 * service may exchange for which resource is RESOURCES_FILE's: `exchanged_by` on the resource the subject token is
 * for, `clients` on the one it asks for.
 */
export const tokenExchangeGrant: Grant<typeof TOKEN_EXCHANGE> = {
  type: TOKEN_EXCHANGE,
  limits: ['tokenIp'],
  readsRefreshCookie: false,
  parameters: {
    subject_token: { type: 'string', maxLength: 8192, description: 'RFC 8693: the access token to exchange.' },
    subject_token_type: { type: 'string', maxLength: 128, description: `RFC 8693: ${ACCESS_TOKEN_TYPE}.` },
    requested_token_type: { type: 'string', maxLength: 128, description: `RFC 8693: ${ACCESS_TOKEN_TYPE}, the one issued.` },
    actor_token: { type: 'string', maxLength: 8192, description: 'RFC 8693: not taken; the acting party is the authenticated client.' },
    actor_token_type: { type: 'string', maxLength: 128, description: 'RFC 8693: not taken.' },
    resource: { type: 'string', maxLength: 256, description: 'The resource the new token is for (RFC 8707, RFC 8693 §2.1).' },
    audience: { type: 'string', maxLength: 256, description: 'The same as resource.' },
    scope: SCOPE_PARAMETER,
  },
  required: ['subject_token', 'subject_token_type'],

  async handle(params: TokenParams, client: Client, _origin: RequestOrigin, services: GrantServices, dpopJkt: string | undefined): Promise<GrantResult> {
    if (client.type !== 'confidential') throw oauthError('unauthorized_client', 'only confidential clients may exchange tokens');
    if (params.actor_token !== undefined || params.actor_token_type !== undefined) {
      throw oauthError('invalid_request', 'actor tokens are not taken: the acting party is the authenticated client');
    }
    if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw oauthError('invalid_request', `requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    const { audience, resource } = params;
    if (audience !== undefined && resource !== undefined && audience !== resource) throw oauthError('invalid_request', 'audience and resource differ');
    const wanted = audience ?? resource;
    if (wanted === undefined) throw oauthError('invalid_target', 'name the resource the new token is for');
    const target = services.resources.targetFor(client, wanted);
    const { claims, scope: subjectScope } = await acceptedSubject(params, client, services);
    // Equal or narrower than the subject token's, as far as the client may have it and the target takes it.
    const allowed = services.resources.scopeWithin(
      target,
      scopeList(subjectScope).filter((token) => client.scopes.includes(token)),
    );
    const scope = grantScopeWithin(allowed, params.scope);
    const actor: Actor = claims.act === undefined ? { sub: client.clientId } : { sub: client.clientId, act: claims.act as Actor };
    const access = await issueAccessToken(services.accessTokens, {
      subject: claims.sub,
      clientId: client.clientId,
      audience: target,
      scope,
      ...(claims.sid === undefined ? {} : { sessionId: claims.sid }),
      notAfter: claims.exp,
      ...(claims.auth_time === undefined || claims.amr === undefined ? {} : { authentication: { authTime: claims.auth_time, amr: claims.amr } }),
      actor,
      dpopJkt,
    });
    // RFC 8693 §2.2.1: issued_token_type; no refresh token (the subject's session refreshes, not this one).
    return {
      response: { access_token: access.token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: tokenTypeOf(dpopJkt), expires_in: access.expiresIn, scope },
    };
  },
};

/** The scope to grant from what is allowed: the requested tokens when all are allowed, all of it when none is asked. */
function grantScopeWithin(allowed: readonly string[], requested: string | undefined): string {
  if (allowed.length === 0) throw oauthError('invalid_scope', 'the subject token carries no scope the new token may have');
  return grantScope(allowed, requested);
}
