import type { JWTPayload } from 'jose';
import type { AuthenticationRequirement } from './shared/authentication-requirement.js';

/** What createVerifier needs. */
export interface VerifierOptions {
  /** The service's ISSUER, exactly. */
  issuer: string;
  /** The audience (or audiences) this service accepts; a token must name one of them. */
  audience: string | string[];
  /** The JWKS URL; discovered from the issuer's RFC 8414 metadata when absent. */
  jwksUrl?: string;
  /**
   * Seconds of leeway for exp and nbf (default 5, at most 60): the service keeps every revocation 60 s past
   * the expiry of the tokens it names, so a larger leeway would let revoked tokens through again.
   */
  clockTolerance?: number;
  /**
   * JWKS caching: refetched after cacheMaxAge, and on an unknown kid at most once per cooldown (milliseconds).
   * Keys already fetched keep verifying while the issuer cannot be reached, even past cacheMaxAge.
   */
  jwks?: { cacheMaxAge?: number; cooldownDuration?: number };
  /** Milliseconds a metadata or JWKS fetch may take before the issuer counts as unreachable (default 5000). */
  timeout?: number;
  /**
   * Subscribe to the service's revocation feed (a confidential client with the introspect scope), so a
   * revoked token is refused within about a second. While the feed is down, `whenUnavailable` decides:
   * `reject` (default) refuses every token, `accept` accepts them until they expire.
   */
  revocations?: { clientId: string; clientSecret: string; url?: string; whenUnavailable?: 'reject' | 'accept' };
  /** The fetch used for metadata and the feed (the JWKS uses jose's own). */
  fetch?: typeof fetch;
}

/** A verified access token. */
export interface VerifiedToken {
  sub: string;
  clientId: string;
  scope: string[];
  sid: string | undefined;
  jti: string;
  /** How the person signed in: the authentication context class (`pwd`, `mfa`), the methods (RFC 8176) and when; undefined on a client's own token. */
  acr: string | undefined;
  amr: string[];
  authTime: number | undefined;
  claims: JWTPayload;
}

/** What one verification demands beside a valid token. */
export interface VerifyRequirements {
  /** How the person must have signed in (RFC 9470): an `acr` at least this strong, a sign-in at most `maxAge` seconds old. */
  authentication?: AuthenticationRequirement;
}

/** Verifies access tokens. */
export interface Verifier {
  /**
   * Verifies a token strictly; throws a VerifierError when it is refused: `insufficient_user_authentication` (with
   * the requirement, for an RFC 9470 challenge) when it is valid but its sign-in falls short of `requirements`.
   */
  verify(token: string, requirements?: VerifyRequirements): Promise<VerifiedToken>;
  /** Resolves once the revocation feed (if any) has its first complete list. */
  ready(): Promise<void>;
  /** Stops the revocation feed. */
  close(): void;
}
