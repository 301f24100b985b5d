/**
 * Clock tolerances for verifying access tokens, in seconds. A denylist entry (a revoked jti or an ended
 * session's sid) must outlive the last moment any verifier that checks it still accepts a token it names:
 * exp plus that verifier's tolerance. So entries outlive their tokens by MAX_CLOCK_TOLERANCE, and no
 * verifier of this service (the verifier library clamps its option to it) may allow more.
 */

/** The leeway the service's own verification gives exp and nbf: small, since it checks its own tokens. */
export const VERIFY_CLOCK_TOLERANCE = 5;

/** The most leeway any verifier of this service's tokens may give exp: the verifier library's ceiling. */
export const MAX_CLOCK_TOLERANCE = 60;

/** Seconds a denylist entry must live for tokens that expire within `secondsLeft` at the latest. */
export function denylistTtl(secondsLeft: number): number {
  return Math.max(0, secondsLeft) + MAX_CLOCK_TOLERANCE;
}
