import type { Client } from './client.js';

/** The security profile the service runs under (PROFILE): none, or the FAPI 2.0 Security Profile. */
export type SecurityProfile = 'none' | 'fapi2';

/** The JWS algorithms FAPI 2.0 §5.4.1 allows (PS256, ES256, EdDSA as Ed25519): for client assertions and DPoP proofs alike. */
export const FAPI2_ALGORITHMS = ['PS256', 'ES256', 'Ed25519', 'EdDSA'] as const;

/**
 * The grants a client may have under the profile: for people, the authorization code (carried by PAR and PKCE) and its
 * refresh; for services (a gateway that introspects, an operator's admin client, a registrar), client_credentials,
 * its tokens DPoP-bound like every other. No password, device or token exchange grant.
 */
export const FAPI2_GRANTS: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials'];

/**
 * Why a client cannot be served under a profile, or undefined when it can. FAPI 2.0 Security Profile §5.3.2.1:
 * confidential clients only, authenticated with private_key_jwt (its other method, mutual TLS, is not offered here);
 * the authorization code grant for people (§5.3.2.2: no password grant, no implicit), client_credentials for services;
 * https redirect URIs (§5.3.1.2). The
 * service-wide rules (PAR, DPoP, ES256) are settings that config.ts refuses to see contradicted.
 */
export function profileProblem(client: Client, profile: SecurityProfile): string | undefined {
  if (profile === 'none') return undefined;
  if (client.type !== 'confidential' || client.keys === undefined) return 'must be a confidential client with private_key_jwt (jwks or jwks_uri)';
  const other = [...client.grantTypes].filter((grant) => !FAPI2_GRANTS.includes(grant));
  if (other.length > 0) return `may have the ${FAPI2_GRANTS.join(', ')} grants only, not ${other.join(', ')}`;
  const insecure = client.redirectUris.find((uri) => !uri.startsWith('https://'));
  if (insecure !== undefined) return `redirects to ${insecure}: https only`;
  return undefined;
}

/** The algorithms a profile takes for signatures clients make (client assertions, DPoP proofs), from those otherwise taken. */
export function profileAlgorithms<T extends string>(profile: SecurityProfile, algorithms: readonly T[]): T[] {
  return profile === 'fapi2' ? algorithms.filter((alg) => (FAPI2_ALGORITHMS as readonly string[]).includes(alg)) : [...algorithms];
}
