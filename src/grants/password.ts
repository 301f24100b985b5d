import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import { issueAccessToken } from '../tokens/access-token.js';
import { randomId } from '../tokens/ids.js';
import { PASSWORD_MAX_BYTES, USERNAME_MAX_LENGTH } from '../users/credentials.js';
import type { Grant, GrantServices, RequestOrigin, TokenParams, TokenResponse } from './grant.js';
import { grantScope } from './scope.js';

/** How much of a User-Agent header a session keeps. */
const USER_AGENT_MAX = 256;

/**
 * The resource owner password credentials grant (RFC 6749 §4.3). Only first-party clients that
 * list it may use it: RFC 9700 §2.4 says it MUST NOT be used, because the client sees the password;
 * here the client is the service owner's own login page or app.
 */
export const passwordGrant: Grant = {
  type: 'password',
  parameters: {
    username: { type: 'string', maxLength: USERNAME_MAX_LENGTH, description: 'The username (NFKC, compared case-insensitively).' },
    password: { type: 'string', maxLength: PASSWORD_MAX_BYTES, description: 'The password; at most 1024 bytes.' },
    scope: { type: 'string', maxLength: 1024, description: 'Space-separated scopes; all of the client\'s when absent (RFC 6749 §3.3).' },
  },
  required: ['username', 'password'],

  async handle(params: TokenParams, client: Client, origin: RequestOrigin, services: GrantServices): Promise<TokenResponse> {
    const scope = grantScope(client, params.scope);
    const user = await services.users.authenticate(params.username!, params.password!);
    // RFC 6749 §5.2: unknown user and wrong password are one answer, invalid_grant.
    if (!user) throw oauthError('invalid_grant', 'the username or password is wrong');
    const sid = randomId();
    await services.store.sessions.create(
      {
        sid,
        userId: user.id,
        clientId: client.clientId,
        scope,
        createdAt: Math.floor(services.clock() / 1000),
        userAgent: origin.userAgent.slice(0, USER_AGENT_MAX),
        ip: origin.ip,
      },
      services.config.accessTokenTtl,
    );
    const access = await issueAccessToken(services.accessTokens, {
      subject: user.id,
      clientId: client.clientId,
      audience: client.audience.length === 1 ? client.audience[0]! : [...client.audience],
      scope,
      sessionId: sid,
    });
    return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope };
  },
};
