import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import { PASSWORD_MAX_BYTES, USERNAME_MAX_LENGTH } from '../users/credentials.js';
import { originContext } from '../audit/audit-log.js';
import { SCOPE_PARAMETER, startUserSession, type Grant, type GrantResult, type GrantServices, type TokenParams } from './grant.js';
import type { RequestOrigin } from '../request-origin.js';
import { sessionTokenResponse } from './token-response.js';

/**
 * The resource owner password credentials grant (RFC 6749 §4.3). Only first-party clients that
 * list it may use it: RFC 9700 §2.4 says it MUST NOT be used, because the client sees the password;
 * here the client is the service owner's own login page or app. Each login starts a session.
 */
export const passwordGrant: Grant<'password'> = {
  type: 'password',
  limits: ['loginIp', 'loginUser'],
  readsRefreshCookie: false,
  parameters: {
    username: { type: 'string', maxLength: USERNAME_MAX_LENGTH, description: 'The username (NFKC, compared case-insensitively).' },
    password: { type: 'string', maxLength: PASSWORD_MAX_BYTES, description: 'The password; at most 1024 bytes.' },
    scope: SCOPE_PARAMETER,
    resource: {
      type: 'string',
      maxLength: 256,
      description: 'RFC 8707 resource indicator: one of the client’s audiences or a registered resource it may ask for (RESOURCES_FILE).',
    },
  },
  required: ['username', 'password'],

  async handle(params: TokenParams, client: Client, origin: RequestOrigin, services: GrantServices, dpopJkt: string | undefined): Promise<GrantResult> {
    const target = params.resource === undefined ? undefined : services.resources.targetFor(client, params.resource);
    const scope = services.resources.grantScope(client, target, params.scope);
    const context = { ...originContext(origin), client_id: client.clientId };
    // Throttled per account inside authenticate (429 when the account must wait).
    const user = await services.accounts.authenticate(params.username!, params.password!, context, 'password_grant');
    // RFC 6749 §5.2: unknown user and wrong password are one answer, invalid_grant.
    if (!user) throw oauthError('invalid_grant', 'the username or password is wrong');
    // The password grant cannot carry a second step: an account with a second factor (or, with MFA=required, any
    // account) signs in through the browser.
    if (services.mfa.policy === 'required') {
      throw oauthError('invalid_grant', 'this service requires two-step sign-in: use the browser sign-in (authorization code flow)');
    }
    if (await services.mfa.needsSecondStep(user.id)) {
      throw oauthError('invalid_grant', 'this account signs in with a second factor: use the browser sign-in (authorization code flow)');
    }
    if (await services.accounts.mustVerifyEmail(user, 'password_grant', context)) {
      throw oauthError('invalid_grant', 'the account must confirm its email address first: a link was mailed to it');
    }
    const { session, refreshToken } = await startUserSession(services, user, client, { scope, resource: target, dpopJkt }, origin);
    services.accounts.loggedIn(user, 'password_grant', { ...context, sid: session.sid });
    return sessionTokenResponse(services, client, session, { scope, target }, refreshToken, dpopJkt);
  },
};
