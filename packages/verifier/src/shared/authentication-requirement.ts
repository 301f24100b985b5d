/**
 * What a protected resource may demand of how its caller's person signed in (OAuth 2.0 Step Up Authentication
 * Challenge, RFC 9470), checked the same way by the service's forward-auth and by the verifier library: an
 * authentication context class (`acr`) at least as strong as a named one, and a sign-in no older than `max_age`.
 */

/** The authentication context classes this service issues, weakest first: `pwd` (a password alone), `mfa` (more than one factor). */
export const ACR_VALUES = ['pwd', 'mfa'] as const;

/** An authentication context class of this service. */
export type AcrValue = (typeof ACR_VALUES)[number];

/** The error code of RFC 9470 §3, beside RFC 6750's. */
export const INSUFFICIENT_USER_AUTHENTICATION = 'insufficient_user_authentication';

/** What a resource demands: an `acr` at least this strong, a sign-in at most `maxAge` seconds old; either, both or neither. */
export interface AuthenticationRequirement {
  acr?: AcrValue;
  maxAge?: number;
}

/** Whether a string names an acr of this service. */
export function isAcrValue(value: string): value is AcrValue {
  return (ACR_VALUES as readonly string[]).includes(value);
}

/**
 * Why a token's claims fall short of the requirement, or undefined when they meet it. A token without `acr` (a
 * client's own, or one issued before the service put it in access tokens) meets no acr; one without `auth_time`
 * meets no max_age.
 */
export function unmetAuthentication(claims: Readonly<Record<string, unknown>>, requirement: AuthenticationRequirement, nowSeconds: number): string | undefined {
  if (requirement.acr !== undefined) {
    const held = typeof claims.acr === 'string' ? ACR_VALUES.indexOf(claims.acr as AcrValue) : -1;
    if (held < ACR_VALUES.indexOf(requirement.acr)) return `this resource needs a sign-in of class ${requirement.acr}`;
  }
  if (requirement.maxAge !== undefined) {
    if (typeof claims.auth_time !== 'number' || nowSeconds - claims.auth_time > requirement.maxAge) {
      return `this resource needs a sign-in within the last ${requirement.maxAge} seconds`;
    }
  }
  return undefined;
}

/**
 * The RFC 9470 §3 challenge: `WWW-Authenticate: Bearer error="insufficient_user_authentication"` with a description
 * and what the client should ask the authorization server for (`acr_values`, `max_age`).
 */
export function stepUpChallenge(realm: string, requirement: AuthenticationRequirement, description: string): string {
  const parts = [`realm="${realm}"`, `error="${INSUFFICIENT_USER_AUTHENTICATION}"`, `error_description="${description.replace(/["\\]/g, '')}"`];
  if (requirement.acr !== undefined) parts.push(`acr_values="${requirement.acr}"`);
  if (requirement.maxAge !== undefined) parts.push(`max_age="${requirement.maxAge}"`);
  return `Bearer ${parts.join(', ')}`;
}
