import { sign, type KeyObject } from 'node:crypto';
import { oauthError } from '../errors.js';
import type { KeyRing } from '../keys/keyring.js';
import { randomId } from './ids.js';

/** The JWT `typ` of an access token (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** Who and what an access token is for. */
export interface AccessTokenGrant {
  /** The user id, or the client id for client_credentials. */
  subject: string;
  clientId: string;
  audience: string | string[];
  /** Space-separated granted scope. */
  scope: string;
  /** The session (token family) the token belongs to. */
  sessionId?: string;
  /** When the session ends at the latest (epoch seconds): the token's exp never goes past it. */
  notAfter?: number;
}

/** A signed access token and what the token response says of it. */
export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  expiresAt: number;
}

/** What signing needs: the keys, the issuer, the lifetime and a clock. */
export interface AccessTokenIssuer {
  keyring: KeyRing;
  issuer: string;
  ttl: number;
  clock: () => number;
}

// The protected header is the same for every token of a key: encoded once per kid.
const encodedHeaders = new Map<string, string>();

function encodedHeader(kid: string): string {
  let header = encodedHeaders.get(kid);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: ACCESS_TOKEN_TYP, kid })).toString('base64url');
    encodedHeaders.set(kid, header);
  }
  return header;
}

/** RSASSA-PKCS1-v1_5 with SHA-256 (RS256, RFC 7518 §3.3) on the libuv thread pool, off the event loop. */
function rs256(input: string, privateKey: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input), privateKey, (error, signature) => (error ? reject(error) : resolve(signature.toString('base64url'))));
  });
}

/**
 * Signs an RFC 9068 access token: header typ at+jwt, RS256 and the signing key's kid;
 * claims iss, sub, aud, exp, iat, jti, client_id, scope and (for user sessions) sid, with exp no later
 * than the session's end, so no token outlives the session it belongs to. The JWS is
 * assembled here (RFC 7515 §7.1) so the hot path pays for one signature and one small JSON
 * serialization; jose remains the verifier of record, in the service and in every test.
 */
export async function issueAccessToken(issuer: AccessTokenIssuer, grant: AccessTokenGrant): Promise<IssuedAccessToken> {
  const key = issuer.keyring.signingKey();
  if (!key) throw oauthError('temporarily_unavailable', 'no signing key is available');
  const iat = Math.floor(issuer.clock() / 1000);
  const exp = Math.min(iat + issuer.ttl, grant.notAfter ?? Infinity);
  if (exp <= iat) throw oauthError('invalid_grant', 'the session has ended');
  const jti = randomId();
  const claims: Record<string, unknown> = { iss: issuer.issuer, sub: grant.subject, aud: grant.audience, exp, iat, jti, client_id: grant.clientId, scope: grant.scope };
  if (grant.sessionId !== undefined) claims.sid = grant.sessionId;
  const input = `${encodedHeader(key.kid)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return { token: `${input}.${await rs256(input, key.privateKey)}`, jti, expiresIn: exp - iat, expiresAt: exp };
}
