import { hash } from 'node:crypto';
import { decodeJwt, errors, jwtVerify } from 'jose';
import { isWellFormedJws, SIGNING_ALGORITHMS } from '@tokensmith/verifier/shared';
import { oauthError } from '../errors.js';
import type { KeyRing } from '../keys/keyring.js';
import { signJws } from './assembled-jws.js';
import type { AccessTokenIssuer } from './access-token.js';
import { publishedKey } from './verify.js';

/** Who an ID token speaks of, to which client, and about which sign-in (OpenID Connect Core §2). */
export interface IdTokenGrant {
  subject: string;
  clientId: string;
  /** When the person signed in (epoch seconds). */
  authTime: number;
  /** The sign-in's public id: the OP session the ID token belongs to (none for a device, whose session is its own). */
  signInId: string | undefined;
  nonce: string | undefined;
  /** The access token issued beside it, for at_hash. */
  accessToken: string;
  /** Claims of the person the granted scopes release (email, email_verified). */
  claims?: Readonly<Record<string, unknown>>;
}

/**
 * `email` and `email_verified` (OpenID Connect Core §5.1) when the scopes include `email` (§5.4) and the account has an
 * address: in UserInfo, and in the ID token too, so a client has them without a second request.
 */
export function emailClaims(user: { email?: { address: string; verified: boolean } }, scopes: readonly string[]): Record<string, unknown> {
  if (!user.email || !scopes.includes('email')) return {};
  return { email: user.email.address, email_verified: user.email.verified };
}

/** at_hash: the left half of the SHA-256 of the access token, base64url (OpenID Connect Core §3.1.3.6; SHA-256 for both RS256 and ES256). */
export function accessTokenHash(accessToken: string): string {
  return hash('sha256', accessToken, 'buffer').subarray(0, 16).toString('base64url');
}

/** Signs an ID token (the signing key's algorithm, typ JWT): iss, sub, aud (the client), exp, iat, auth_time, sid, at_hash, and nonce when sent. */
export async function issueIdToken(issuer: AccessTokenIssuer, grant: IdTokenGrant): Promise<string> {
  const key = issuer.keyring.signingKey();
  if (!key) throw oauthError('temporarily_unavailable', 'no signing key is available');
  const iat = Math.floor(issuer.clock() / 1000);
  const claims: Record<string, unknown> = {
    iss: issuer.issuer,
    sub: grant.subject,
    aud: grant.clientId,
    exp: iat + issuer.ttl,
    iat,
    auth_time: grant.authTime,
    ...(grant.signInId === undefined ? {} : { sid: grant.signInId }),
    at_hash: accessTokenHash(grant.accessToken),
    ...grant.claims,
  };
  if (grant.nonce !== undefined) claims.nonce = grant.nonce;
  return signJws(claims, key, 'JWT');
}

/** What a verified id_token_hint says: the client it was issued to, the person, and their sign-in. */
export interface IdTokenHint {
  clientId: string;
  subject: string;
  signInId: string | undefined;
}

/**
 * Verifies an id_token_hint (OpenID Connect RP-Initiated Logout 1.0 §2): an ID token this service signed (a
 * published key and its algorithm, typ JWT, this issuer). Its expiry does not matter there, so it is checked as of its own iat.
 * Undefined for anything else.
 */
export async function verifyIdTokenHint(token: string, keyring: KeyRing, issuer: string): Promise<IdTokenHint | undefined> {
  if (!isWellFormedJws(token)) return undefined;
  try {
    const { iat } = decodeJwt(token);
    if (typeof iat !== 'number') return undefined;
    const { payload } = await jwtVerify(token, publishedKey(keyring), {
      algorithms: [...SIGNING_ALGORITHMS],
      typ: 'JWT',
      issuer,
      requiredClaims: ['sub', 'aud'],
      currentDate: new Date(iat * 1000),
    });
    if (typeof payload.aud !== 'string' || typeof payload.sub !== 'string') return undefined;
    return { clientId: payload.aud, subject: payload.sub, signInId: typeof payload.sid === 'string' ? payload.sid : undefined };
  } catch (error) {
    if (error instanceof errors.JOSEError) return undefined;
    throw error;
  }
}
