import { oauthError } from '../errors.js';
import type { KeyRing } from '../keys/keyring.js';
import { signJws } from './assembled-jws.js';
import { randomId } from './ids.js';
import { acrOf } from './authentication-context.js';
import { ACCESS_TOKEN_TYP } from '@tokensmith/verifier/shared';

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
  /** When and how the person authenticated (a user session's): auth_time, amr and the acr they meet. */
  authentication?: { authTime: number; amr: readonly string[] };
  /** Who acts for the subject (RFC 8693 §4.1): a token exchanged by a service, nested for a chain of them. */
  actor?: Actor;
  /** The thumbprint of the DPoP key the token is bound to (RFC 9449 §6.1: `cnf.jkt`), when the request proved one. */
  dpopJkt?: string | undefined;
}

/** The `act` claim (RFC 8693 §4.1): the acting party, and who acted before it. */
export interface Actor {
  sub: string;
  act?: Actor;
}

/** A signed access token and what the token response says of it. */
export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  expiresAt: number;
}

/** The `token_type` of a token response (RFC 6749 §7.1): DPoP for a token bound to a DPoP key (RFC 9449 §5). */
export function tokenTypeOf(dpopJkt: string | undefined): 'Bearer' | 'DPoP' {
  return dpopJkt === undefined ? 'Bearer' : 'DPoP';
}

/** What signing needs: the keys, the issuer, the lifetime and a clock. */
export interface AccessTokenIssuer {
  keyring: KeyRing;
  issuer: string;
  ttl: number;
  clock: () => number;
}

/**
 * Signs an RFC 9068 access token: header typ at+jwt, the signing key's algorithm (RS256, or ES256 with
 * SIGNING_ALG=ES256) and kid;
 * claims iss, sub, aud, exp, iat, jti, client_id, scope and (for user sessions) sid and the authentication
 * information of RFC 9068 §2.2.1 (auth_time, acr, amr, as OpenID Connect Core §2 defines them), `cnf.jkt` when bound to a
 * DPoP key (RFC 9449 §6.1), with exp no later
 * than the session's end, so no token outlives the session it belongs to. The JWS is assembled by
 * src/tokens/assembled-jws.ts (an optimisation; jose remains the verifier of record).
 */
export async function issueAccessToken(issuer: AccessTokenIssuer, grant: AccessTokenGrant): Promise<IssuedAccessToken> {
  const key = issuer.keyring.signingKey();
  if (!key) throw oauthError('temporarily_unavailable', 'no signing key is available');
  const iat = Math.floor(issuer.clock() / 1000);
  const exp = Math.min(iat + issuer.ttl, grant.notAfter ?? Infinity);
  if (exp <= iat) throw oauthError('invalid_grant', 'the session has ended');
  const jti = randomId();
  const claims: Record<string, unknown> = {
    iss: issuer.issuer,
    sub: grant.subject,
    aud: grant.audience,
    exp,
    iat,
    jti,
    client_id: grant.clientId,
    scope: grant.scope,
  };
  if (grant.sessionId !== undefined) claims.sid = grant.sessionId;
  if (grant.authentication !== undefined) {
    claims.auth_time = grant.authentication.authTime;
    claims.acr = acrOf(grant.authentication.amr);
    claims.amr = grant.authentication.amr;
  }
  if (grant.actor !== undefined) claims.act = grant.actor;
  if (grant.dpopJkt !== undefined) claims.cnf = { jkt: grant.dpopJkt };
  return { token: await signJws(claims, key, ACCESS_TOKEN_TYP), jti, expiresIn: exp - iat, expiresAt: exp };
}
