import type { Grant, ParameterSchema } from './grant.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';

/** The one place a grant is declared: adding one here serves it, lists it in discovery and lets clients name it. */
const ALL_GRANTS = [authorizationCodeGrant, passwordGrant, refreshTokenGrant, clientCredentialsGrant] as const;

/** A grant type the token endpoint serves. */
export type GrantType = (typeof ALL_GRANTS)[number]['type'];

/** Every grant the token endpoint serves, by grant_type. */
export const GRANTS: ReadonlyMap<string, Grant<GrantType>> = new Map<string, Grant<GrantType>>(ALL_GRANTS.map((grant) => [grant.type, grant]));

/** The grant types the token endpoint serves: for the discovery document and the client registry. */
export function supportedGrantTypes(): GrantType[] {
  return ALL_GRANTS.map((grant) => grant.type);
}

/** The union of every grant's parameters: one schema for the token request body. */
export function grantParameters(): Record<string, ParameterSchema> {
  return Object.assign({}, ...[...GRANTS.values()].map((grant) => grant.parameters));
}
