/** The error codes of an RFC 6750 §3.1 challenge. */
export type BearerErrorCode = 'invalid_token' | 'invalid_request' | 'insufficient_scope';

/** The credentials of an `Authorization: Bearer` header (RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="). */
export const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** A WWW-Authenticate Bearer challenge (RFC 6750 §3): no error attribute when no token was sent. */
export function bearerChallenge(realm: string, error?: BearerErrorCode, scope?: string): string {
  const parts = [`realm="${realm}"`];
  if (error) parts.push(`error="${error}"`);
  if (scope) parts.push(`scope="${scope}"`);
  return `Bearer ${parts.join(', ')}`;
}
