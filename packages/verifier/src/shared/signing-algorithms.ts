/**
 * The JWS algorithms of the service's keys (RFC 7518 §3.1): RS256, which RFC 9068 §4 requires every verifier to
 * support and which is the default, and ES256 (ECDSA on P-256), an option for deployments that sign far more tokens
 * than they verify. A token is verified only with a published key whose `alg` is the token's (RFC 8725 §3.1), so
 * what is accepted at any moment is exactly the algorithms of the published keys.
 */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;

/** One of SIGNING_ALGORITHMS. */
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
