/**
 * Building blocks the tokensmith server shares with the verifier, so that both check the same things the same
 * way: what makes a JWT an access token (typ, algorithms, required claims and their types), the compact-JWS shape, the clock tolerances, the Bearer syntax of RFC 6750, DPoP proofs (RFC 9449), the revocation lists, the
 * signing algorithms, the step-up requirements of RFC 9470 (acr, max_age), and RFC 9728 protected resource metadata.
 * Not part of the verifier's API.
 */
export {
  ACCESS_TOKEN_TYP,
  accessTokenVerifyOptions,
  hasAccessTokenClaimTypes,
  REQUIRED_ACCESS_TOKEN_CLAIMS,
  type AccessTokenPayload,
} from './access-token-claims.js';
export {
  ACR_VALUES,
  INSUFFICIENT_USER_AUTHENTICATION,
  isAcrValue,
  stepUpChallenge,
  unmetAuthentication,
  type AcrValue,
  type AuthenticationRequirement,
} from './authentication-requirement.js';
export {
  accessTokenHash,
  checkDpopProof,
  confirmedKey,
  DPOP_ALGORITHMS,
  DPOP_CREDENTIALS,
  DPOP_PROOF_TYP,
  DPOP_PROOF_WINDOW,
  dpopChallenge,
  DpopProofError,
  proofTarget,
  type CheckedProof,
  type DpopErrorCode,
  type ProofRequest,
} from './dpop-proof.js';
export { BEARER_CREDENTIALS, bearerChallenge, type BearerErrorCode } from './bearer-syntax.js';
export { denylistTtl, MAX_CLOCK_TOLERANCE, VERIFY_CLOCK_TOLERANCE } from './clock-tolerance.js';
export { isCanonicalBase64url, isWellFormedJws, MAX_TOKEN_LENGTH } from './jws-structure.js';
export { RevocationLists, type RevocationEntry } from './revocation-lists.js';
export { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signing-algorithms.js';
export { METADATA_PATH, metadataUrlOf, protectedResourceMetadata, withResourceMetadata, type ProtectedResourceDescription } from './resource-metadata.js';
