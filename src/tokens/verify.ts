import type { KeyObject } from 'node:crypto';
import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { oauthError } from '../errors.js';
import type { KeyRing } from '../keys/keyring.js';
import { accessTokenVerifyOptions, hasAccessTokenClaimTypes, isWellFormedJws, VERIFY_CLOCK_TOLERANCE } from '@tokensmith/verifier/shared';

/** The claims of an access token that passed verification. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  sid?: string;
  /** How the person signed in (RFC 9068 §2.2.1), on a user's tokens. */
  auth_time?: number;
  acr?: string;
  amr?: string[];
  /** The DPoP key the token is bound to (RFC 9449 §6.1). */
  cnf?: { jkt: string };
}

/** What the service's own verification checks against. */
export interface VerifyOptions {
  keyring: KeyRing;
  issuer: string;
  audience?: string;
  clock: () => number;
}

/**
 * The key resolver of the service's own verifications: the published key the header's kid names, when the header's
 * alg is that key's own (RFC 8725 §3.1, §2.1: no algorithm confusion between an RSA and an EC key, and no key from
 * jku, x5u, x5c or an embedded jwk, since only the kid is read).
 */
export function publishedKey(keyring: KeyRing): (header: JWTHeaderParameters) => KeyObject {
  return (header) => {
    const key = typeof header.kid === 'string' ? keyring.publicKey(header.kid, header.alg) : undefined;
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };
}

/**
 * Verifies an access token strictly (RFC 8725 §3.1, RFC 9068 §4): RS256 or ES256 with the published key made for
 * that algorithm, a kid of one of the
 * service's published keys (no jku, x5u, x5c or embedded jwk is ever followed: the key comes from the
 * kid alone), typ at+jwt, issuer, expiry, nbf and the required claims; unknown `crit` headers are refused
 * (RFC 7515 §4.1.11), and so is any token that is not a well-formed compact JWS. Any failure is `invalid_token`, with no detail an attacker could use.
 */
export async function verifyAccessToken(token: string, options: VerifyOptions): Promise<AccessTokenClaims> {
  if (!isWellFormedJws(token)) throw oauthError('invalid_token', 'the access token is invalid or expired');
  try {
    const { payload } = await jwtVerify(
      token,
      publishedKey(options.keyring),
      accessTokenVerifyOptions({
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: VERIFY_CLOCK_TOLERANCE,
        currentDate: new Date(options.clock()),
      }),
    );
    if (!hasAccessTokenClaimTypes(payload)) throw new errors.JWTClaimValidationFailed('claim has the wrong type', payload);
    return { scope: '', ...payload } as AccessTokenClaims;
  } catch (error) {
    if (error instanceof errors.JOSEError) throw oauthError('invalid_token', 'the access token is invalid or expired');
    throw error;
  }
}
