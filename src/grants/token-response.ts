import type { Client } from '../clients/client.js';
import type { SessionRecord, UserRecord } from '../store/types.js';
import { emailClaims, issueIdToken } from '../tokens/id-token.js';
import { acrOf } from '../tokens/authentication-context.js';
import { scopeList } from '../tokens/scope.js';
import { issueAccessToken, tokenTypeOf } from '../tokens/access-token.js';
import type { GrantResult, GrantServices } from './grant.js';

/** The `aud` claim for a client: a string for one audience, an array for several (RFC 7519 §4.1.3). */
export function audienceOf(client: Client): string | string[] {
  return client.audience.length === 1 ? client.audience[0]! : [...client.audience];
}

/** What one access token of a session is for: its scope, and the resource it is meant for (its `aud`), if one is named. */
export interface SessionTokenGrant {
  scope: string;
  target: string | undefined;
}

/** Signs an access token for a user session (bound to `dpopJkt` when the request proved a key) and assembles the token response (RFC 6749 §5.1). */
export async function sessionTokenResponse(
  services: GrantServices,
  client: Client,
  session: SessionRecord,
  { scope, target }: SessionTokenGrant,
  refreshToken: string | undefined,
  dpopJkt: string | undefined,
): Promise<GrantResult> {
  const access = await issueAccessToken(services.accessTokens, {
    subject: session.userId,
    clientId: client.clientId,
    // RFC 8707 §2: a token for a named resource is audience-restricted to it alone.
    audience: target ?? audienceOf(client),
    scope,
    sessionId: session.sid,
    notAfter: services.sessions.endOf(session, client),
    ...(session.authTime === undefined || session.amr === undefined ? {} : { authentication: { authTime: session.authTime, amr: session.amr } }),
    dpopJkt,
  });
  const response = { access_token: access.token, token_type: tokenTypeOf(dpopJkt), expires_in: access.expiresIn, scope };
  return { response: refreshToken === undefined ? response : { ...response, refresh_token: refreshToken }, session };
}

/** How the person behind a user session signed in, as its ID token tells the client. */
export interface IdTokenAuthentication {
  authTime: number;
  amr: readonly string[];
  /** The browser sign-in (the OP session, `sid`), when the session is tied to one. */
  signInId: string | undefined;
  nonce: string | undefined;
}

/**
 * The token response with an ID token beside the access token when the granted scope holds openid (OpenID Connect Core
 * §3.1.3.3): `amr` and `acr` say how the person authenticated, and `email` comes with the email scope.
 */
export async function withIdToken(
  services: GrantServices,
  client: Client,
  user: UserRecord,
  granted: string,
  authentication: IdTokenAuthentication,
  result: GrantResult,
): Promise<GrantResult> {
  const scopes = scopeList(granted);
  if (!scopes.includes('openid')) return result;
  const idToken = await issueIdToken(services.accessTokens, {
    subject: user.id,
    clientId: client.clientId,
    authTime: authentication.authTime,
    signInId: authentication.signInId,
    nonce: authentication.nonce,
    accessToken: result.response.access_token,
    // OpenID Connect Core §2: how the person authenticated (RFC 8176 values).
    claims: { amr: [...authentication.amr], acr: acrOf(authentication.amr), ...emailClaims(user, scopes) },
  });
  return { ...result, response: { ...result.response, id_token: idToken } };
}
