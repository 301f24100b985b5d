import type { GrantType } from '../clients/client.js';
import type { Grant, ParameterSchema } from './grant.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';

/** Every grant the token endpoint serves, by grant_type. */
export const GRANTS: ReadonlyMap<string, Grant> = new Map<string, Grant>([passwordGrant, refreshTokenGrant, clientCredentialsGrant].map((grant) => [grant.type, grant]));

/** The grant types the token endpoint serves, for the discovery document. */
export function supportedGrantTypes(): GrantType[] {
  return [...GRANTS.values()].map((grant) => grant.type);
}

/** The union of every grant's parameters: one schema for the token request body. */
export function grantParameters(): Record<string, ParameterSchema> {
  return Object.assign({}, ...[...GRANTS.values()].map((grant) => grant.parameters));
}
