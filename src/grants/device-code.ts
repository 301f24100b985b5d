import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import { scopeList } from '../tokens/scope.js';
import type { RequestOrigin } from '../request-origin.js';
import { DEVICE_CODE } from './grant-type.js';
import { startUserSession, type Grant, type GrantResult, type GrantServices, type TokenParams } from './grant.js';
import { sessionTokenResponse, withIdToken } from './token-response.js';

/**
 * The device authorization grant (RFC 8628 §3.4): the device polls with its device code until its person approved
 * at /device (tokens, and a session of its own like any other), denied (access_denied) or let it expire
 * (expired_token); meanwhile authorization_pending, or slow_down when it polls too often. With the openid scope an ID
 * token comes beside the access token, as on the code grant.
 */
export const deviceCodeGrant: Grant<typeof DEVICE_CODE> = {
  type: DEVICE_CODE,
  limits: ['tokenIp'],
  readsRefreshCookie: false,
  parameters: {
    device_code: { type: 'string', maxLength: 128, description: 'The device code of the device authorization response (RFC 8628 §3.4).' },
    resource: {
      type: 'string',
      maxLength: 256,
      description: 'RFC 8707 resource indicator: the device authorization request’s resource, or one of the client’s audiences when it named none.',
    },
  },
  required: ['device_code'],

  async handle(params: TokenParams, client: Client, origin: RequestOrigin, services: GrantServices, dpopJkt: string | undefined): Promise<GrantResult> {
    const { record, approval } = await services.devices.poll(params.device_code!, client);
    const user = await services.users.findActive(approval.userId);
    if (!user) throw oauthError('invalid_grant', 'the user is disabled or gone');
    // RFC 8707 §2: the resource of the device authorization request, or a narrower one named now.
    const target = services.resources.targetWithin(record.resource, client, params.resource);
    const asked = { scope: record.scope, resource: record.resource };
    const { session, refreshToken } = await startUserSession(services, user, client, { scope: record.scope, resource: target, dpopJkt }, origin, {
      device: approval,
      asked,
    });
    const scope = services.resources.scopeWithin(target, scopeList(record.scope)).join(' ');
    const result = await sessionTokenResponse(services, client, session, { scope, target }, refreshToken, dpopJkt);
    return withIdToken(services, client, user, record.scope, { ...approval, signInId: undefined, nonce: undefined }, result);
  },
};
