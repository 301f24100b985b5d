import type { Client } from '../clients/client.js';
import type { SessionRecord } from '../store/types.js';
import { issueAccessToken } from '../tokens/access-token.js';
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

/** Signs an access token for a user session and assembles the token response (RFC 6749 §5.1). */
export async function sessionTokenResponse(
  services: GrantServices,
  client: Client,
  session: SessionRecord,
  { scope, target }: SessionTokenGrant,
  refreshToken: string | undefined,
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
  });
  const response = { access_token: access.token, token_type: 'Bearer' as const, expires_in: access.expiresIn, scope };
  return { response: refreshToken === undefined ? response : { ...response, refresh_token: refreshToken }, session };
}
