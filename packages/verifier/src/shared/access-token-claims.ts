/**
 * What makes a JWT an access token of this service, checked the same way by the server's own verification and by
 * the verifier library: the JWT type, the signing algorithms, the claims always issued and their types.
 */
import type { JWTPayload, JWTVerifyOptions } from 'jose';
import { SIGNING_ALGORITHMS } from './signing-algorithms.js';
import { confirmedKey } from './dpop-proof.js';

/** The `typ` header of an access token (RFC 9068 §2.1), refused when absent or different (§4). */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** The claims every access token of this service carries (RFC 9068 §2.2, with `client_id`), so both verifiers require them. */
export const REQUIRED_ACCESS_TOKEN_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'] as const;

/** An access token's claims once their types are checked: the strings this service issues. */
export type AccessTokenPayload = JWTPayload & {
  sub: string;
  jti: string;
  client_id: string;
  scope?: string;
  sid?: string;
  /** How the person signed in (RFC 9068 §2.2.1, OpenID Connect Core §2): a user's tokens carry them. */
  auth_time?: number;
  acr?: string;
  amr?: string[];
  /** The key a DPoP-bound token is bound to (RFC 9449 §6.1): its JWK SHA-256 thumbprint. */
  cnf?: { jkt: string };
};

/**
 * jose's `jwtVerify` options for an access token (RFC 8725 §3.1, RFC 9068 §4): the signing algorithms of the
 * published keys, typ at+jwt, the exact issuer, the audience when one is asked for, the required claims, and the
 * caller's clock tolerance (and clock, when it has its own).
 */
export function accessTokenVerifyOptions(options: {
  issuer: string;
  audience?: string | string[] | undefined;
  clockTolerance: number;
  currentDate?: Date;
}): JWTVerifyOptions {
  return {
    algorithms: [...SIGNING_ALGORITHMS],
    typ: ACCESS_TOKEN_TYP,
    issuer: options.issuer,
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    requiredClaims: [...REQUIRED_ACCESS_TOKEN_CLAIMS],
    clockTolerance: options.clockTolerance,
    ...(options.currentDate === undefined ? {} : { currentDate: options.currentDate }),
  };
}

/**
 * Whether a verified payload's claims have the types this service issues: `sub`, `jti`, `client_id` strings;
 * `scope`, `sid` and `acr` strings, `auth_time` a number, `amr` an array of strings and `cnf` a DPoP key's thumbprint
 * (RFC 9449 §6.1), when present: a `cnf` of any other form binds the token to nothing this service can check.
 */
export function hasAccessTokenClaimTypes(payload: JWTPayload): payload is AccessTokenPayload {
  const { sub, jti, client_id: clientId, scope, sid, auth_time: authTime, acr, amr, cnf } = payload as Record<string, unknown>;
  return (
    typeof sub === 'string' &&
    typeof jti === 'string' &&
    typeof clientId === 'string' &&
    (scope === undefined || typeof scope === 'string') &&
    (sid === undefined || typeof sid === 'string') &&
    (authTime === undefined || typeof authTime === 'number') &&
    (acr === undefined || typeof acr === 'string') &&
    (amr === undefined || (Array.isArray(amr) && amr.every((method) => typeof method === 'string'))) &&
    (cnf === undefined || confirmedKey(payload) !== undefined)
  );
}
