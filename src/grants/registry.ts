import type { Grant, ParameterSchema } from './grant.js';
import { DEVICE_CODE, GRANT_TYPES, TOKEN_EXCHANGE, type GrantType } from './grant-type.js';
import { deviceCodeGrant } from './device-code.js';
import { tokenExchangeGrant } from './token-exchange.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';

/**
 * The one place a grant is served: a grant here (its type named in grant-type.ts) is served, listed in discovery and
 * may be named by clients.
 */
const GRANTS_BY_TYPE: { readonly [T in GrantType]: Grant<T> } = {
  authorization_code: authorizationCodeGrant,
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  [DEVICE_CODE]: deviceCodeGrant,
  [TOKEN_EXCHANGE]: tokenExchangeGrant,
};

/** Every grant the token endpoint serves, by grant_type. */
export const GRANTS: ReadonlyMap<string, Grant<GrantType>> = new Map<string, Grant<GrantType>>(GRANT_TYPES.map((type) => [type, GRANTS_BY_TYPE[type]]));

/** The grant types the token endpoint serves: for the discovery document and the client registry. */
export function supportedGrantTypes(): GrantType[] {
  return [...GRANT_TYPES];
}

/** The union of every grant's parameters: one schema for the token request body. */
export function grantParameters(): Record<string, ParameterSchema> {
  return Object.assign({}, ...[...GRANTS.values()].map((grant) => grant.parameters));
}
