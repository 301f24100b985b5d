/**
 * DPoP proofs (RFC 9449), checked the same way by the server (its token endpoint and forward-auth) and by the
 * verifier library: the proof's form and signature (§4.2, §4.3), the request it was made for, the access token it
 * comes with, and the thumbprint (RFC 7638) of its key, which a bound token's `cnf.jkt` names (§6.1). What a proof
 * cannot say alone, whether its `jti` was seen before (§11.1) or whether its nonce is current (§8, §9), is the
 * caller's: the proof's checker answers the `jti` and the nonce for it to judge.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors, jwtVerify, type JWK } from 'jose';

/** The proof's `typ` header (§4.2). */
export const DPOP_PROOF_TYP = 'dpop+jwt';

/**
 * The proof algorithms accepted, and listed as `dpop_signing_alg_values_supported` (RFC 9449 §5.1): asymmetric only
 * (§4.2), the ones FAPI 2.0 allows (PS256, ES256, EdDSA, and Ed25519, EdDSA's fully specified name of RFC 9864 that
 * openid-client signs with) and RS256 for clients that have only RSA.
 */
export const DPOP_ALGORITHMS = ['ES256', 'PS256', 'Ed25519', 'EdDSA', 'RS256'] as const;

/**
 * How far a proof's `iat` may be from now, in seconds, either way (§4.3 item 11, §11.1): a proof is made for one
 * request, so a minute covers a slow network and a client clock a little off. A `jti` is remembered for twice as long,
 * which covers every proof the window could still accept.
 */
export const DPOP_PROOF_WINDOW = 60;

/** The longest proof read, in characters: a proof with an RSA key of 4096 bits is well under it. */
const MAX_PROOF_LENGTH = 4096;

/** A proof refused: `message` says why, for the `error_description` of `invalid_dpop_proof` (§7.1). */
export class DpopProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DpopProofError';
  }
}

/** The request a proof must have been made for, and the access token it comes with (absent at a token endpoint). */
export interface ProofRequest {
  /** The request's method (`htm`, §4.2). */
  method: string;
  /** The request's URL; its query and fragment are not compared (`htu`, §4.3 item 9). */
  url: string;
  /** The access token the proof is sent with: its hash must be the proof's `ath` (§4.2, §7.1). */
  accessToken?: string;
  /** Seconds since the epoch. */
  now: number;
}

/** What a valid proof says: its key's thumbprint, its id for the replay check, and the server nonce it carries. */
export interface CheckedProof {
  /** The JWK SHA-256 thumbprint of the proof's key (RFC 7638, §6.1): what a bound token's `cnf.jkt` is. */
  jkt: string;
  jti: string;
  iat: number;
  /** The nonce the proof carries (§8), if any. */
  nonce: string | undefined;
}

/** The `ath` of an access token (§4.2): base64url of the SHA-256 of its ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * The target URI as a proof's `htu` must name it: scheme, host, port and path, normalized as RFC 3986 §6.2.2 and
 * §6.2.3 say (a default port dropped, the scheme and host lower-cased, dot segments resolved); no query or fragment.
 * Undefined when it is no http(s) URL.
 */
export function proofTarget(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * Checks one DPoP proof (the value of the single `DPoP` header) against the request it comes with, RFC 9449 §4.3:
 * a compact JWS of `typ` dpop+jwt, signed with one of DPOP_ALGORITHMS by the public key in its `jwk` header (never a
 * private one); `jti`, `htm`, `htu` and `iat` present; `htm` the request's method and `htu` its URL; `iat` within
 * DPOP_PROOF_WINDOW of now; with an access token, `ath` its hash. `algorithms` narrows DPOP_ALGORITHMS (a security
 * profile's). Throws DpopProofError.
 */
export async function checkDpopProof(proof: string, request: ProofRequest, algorithms: readonly string[] = DPOP_ALGORITHMS): Promise<CheckedProof> {
  if (proof.length > MAX_PROOF_LENGTH) throw new DpopProofError('the DPoP proof is too long');
  let payload;
  let jwk: JWK;
  try {
    const header = decodeProtectedHeader(proof);
    if (header.typ !== DPOP_PROOF_TYP) throw new DpopProofError(`the DPoP proof's typ is not ${DPOP_PROOF_TYP}`);
    const verified = await jwtVerify(proof, EmbeddedJWK, { typ: DPOP_PROOF_TYP, algorithms: [...algorithms], requiredClaims: ['iat', 'jti'] });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk!;
  } catch (error) {
    if (error instanceof DpopProofError) throw error;
    if (error instanceof errors.JOSEError || error instanceof TypeError) throw new DpopProofError('the DPoP proof is not a valid signed JWT');
    throw error;
  }
  const { jti, htm, htu, iat, ath, nonce } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new DpopProofError('the DPoP proof has no valid jti');
  if (typeof iat !== 'number') throw new DpopProofError('the DPoP proof has no valid iat');
  if (htm !== request.method) throw new DpopProofError('the DPoP proof is for another method');
  if (typeof htu !== 'string' || proofTarget(htu) === undefined || proofTarget(htu) !== proofTarget(request.url)) {
    throw new DpopProofError('the DPoP proof is for another URL');
  }
  if (Math.abs(request.now - iat) > DPOP_PROOF_WINDOW) throw new DpopProofError('the DPoP proof is too old or from the future');
  if (request.accessToken !== undefined && ath !== accessTokenHash(request.accessToken)) {
    throw new DpopProofError("the DPoP proof's ath is not the access token's hash");
  }
  if (nonce !== undefined && typeof nonce !== 'string') throw new DpopProofError("the DPoP proof's nonce is malformed");
  return { jkt: await calculateJwkThumbprint(jwk, 'sha256'), jti, iat, nonce };
}

/** The credentials of an `Authorization: DPoP` header (RFC 9449 §7.1: the token68 syntax of RFC 9110 §11.2). */
export const DPOP_CREDENTIALS = /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i;

/** The error codes of a DPoP challenge (RFC 9449 §7.1, §12.2; RFC 6750 §3.1). */
export type DpopErrorCode = 'invalid_token' | 'invalid_request' | 'invalid_dpop_proof' | 'use_dpop_nonce' | 'insufficient_scope';

/** A WWW-Authenticate DPoP challenge (RFC 9449 §7.1): the algorithms accepted, and the error when there is one. */
export function dpopChallenge(error?: DpopErrorCode, description?: string, scope?: string): string {
  const parts = [`algs="${DPOP_ALGORITHMS.join(' ')}"`];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${description.replace(/["\\]/g, '')}"`);
  if (scope) parts.push(`scope="${scope}"`);
  return `DPoP ${parts.join(', ')}`;
}

/** The confirmation an access token carries when it is bound to a DPoP key (RFC 9449 §6.1), or undefined. */
export function confirmedKey(claims: object): string | undefined {
  const cnf = (claims as { cnf?: unknown }).cnf;
  if (cnf === null || typeof cnf !== 'object') return undefined;
  const jkt = (cnf as Record<string, unknown>).jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}
