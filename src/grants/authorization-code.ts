import type { Client } from '../clients/client.js';
import { originContext } from '../audit/audit-log.js';
import { oauthError } from '../errors.js';
import { scopeList } from '../tokens/scope.js';
import { startUserSession, type Grant, type GrantResult, type GrantServices, type TokenParams } from './grant.js';
import type { RequestOrigin } from '../request-origin.js';
import { sessionTokenResponse, withIdToken } from './token-response.js';

/**
 * The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5): a code from /oauth/authorize, its
 * redirect URI and the verifier. It starts a session tied to the sign-in, and with the openid scope an ID token
 * comes beside the access token (OpenID Connect Core §3.1.3.3).
 */
export const authorizationCodeGrant: Grant<'authorization_code'> = {
  type: 'authorization_code',
  limits: ['tokenIp'],
  readsRefreshCookie: false,
  parameters: {
    code: { type: 'string', maxLength: 128, description: 'The authorization code (RFC 6749 §4.1.3).' },
    redirect_uri: { type: 'string', maxLength: 2048, description: 'The redirect_uri of the authorization request, exactly.' },
    code_verifier: { type: 'string', maxLength: 128, description: 'The PKCE code verifier (RFC 7636 §4.5).' },
    resource: {
      type: 'string',
      maxLength: 256,
      description: 'RFC 8707 resource indicator: the authorization request’s resource, or one of the client’s audiences when it named none.',
    },
  },
  required: ['code', 'redirect_uri', 'code_verifier'],

  async handle(params: TokenParams, client: Client, origin: RequestOrigin, services: GrantServices, dpopJkt: string | undefined): Promise<GrantResult> {
    const { code, started } = await services.codes.redeem(params.code!, client, params.redirect_uri!, params.code_verifier!, originContext(origin));
    // RFC 9449 §10: a code bound to a DPoP key (dpop_jkt) is redeemed with a proof of that key alone, as a wrong
    // code_verifier is refused: the code is spent either way.
    if (code.dpopJkt !== undefined && code.dpopJkt !== dpopJkt) throw oauthError('invalid_grant', 'the code is bound to another DPoP key (dpop_jkt)');
    const user = await services.users.findActive(code.userId);
    if (!user) throw oauthError('invalid_grant', 'the user is disabled or gone');
    // RFC 8707 §2.2: the resource of the authorization request, or a narrower one named now; the code is spent either way.
    const target = services.resources.targetWithin(code.resource, client, params.resource);
    const { session, refreshToken } = await startUserSession(services, user, client, { scope: code.scope, resource: target, dpopJkt }, origin, { code });
    await started(session.sid);
    const scope = services.resources.scopeWithin(target, scopeList(code.scope)).join(' ');
    const result = await sessionTokenResponse(services, client, session, { scope, target }, refreshToken, dpopJkt);
    const authentication = { authTime: code.authTime, amr: code.amr ?? ['pwd'], signInId: code.signInId, nonce: code.nonce };
    return withIdToken(services, client, user, code.scope, authentication, result);
  },
};
