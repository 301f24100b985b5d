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
  /**
   * DPoP proofs (RFC 9449): each proof's jti is taken once, remembered in this process unless `firstUse` keeps it
   * where every instance of the service sees it (a Redis SET NX EX, say): true the first time an id is seen within
   * `ttlSeconds`.
   */
  dpop?: { firstUse?: (id: string, ttlSeconds: number) => Promise<boolean> };
}

/** The DPoP proof a token came with (`Authorization: DPoP`, RFC 9449 §7.1), and the request it must name. */
export interface PresentedProof {
  /** The value of the request's `DPoP` header (undefined when it had none: then refused). */
  proof: string | undefined;
  /** The request's method. */
  method: string;
  /** The request's full URL as the client called it (scheme, host, path; a query is ignored). */
  url: string;
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
  /** The thumbprint of the DPoP key the token is bound to (`cnf.jkt`, RFC 9449 §6.1); undefined for a bearer token. */
  dpopJkt: string | undefined;
  claims: JWTPayload;
}

/** What one verification demands beside a valid token. */
export interface VerifyRequirements {
  /** How the person must have signed in (RFC 9470): an `acr` at least this strong, a sign-in at most `maxAge` seconds old. */
  authentication?: AuthenticationRequirement;
  /**
   * The token came as `Authorization: DPoP` with this proof: the token must be bound to the proof's key. Without it
   * the token came as a bearer token, and a DPoP-bound one is refused (RFC 9449 §7.2).
   */
  dpop?: PresentedProof;
}

/** Verifies access tokens. */
export interface Verifier {
  /**
   * Verifies a token strictly; throws a VerifierError when it is refused: `insufficient_user_authentication` (with
   * the requirement, for an RFC 9470 challenge) when it is valid but its sign-in falls short of `requirements`;
   * `invalid_dpop_proof` when the proof that came with a bound token is missing, flawed, replayed or of another key.
   */
  verify(token: string, requirements?: VerifyRequirements): Promise<VerifiedToken>;
  /** Resolves once the revocation feed (if any) has its first complete list. */
  ready(): Promise<void>;
  /** Stops the revocation feed. */
  close(): void;
}
