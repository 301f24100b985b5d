import type { AuthenticationRequirement } from './shared/authentication-requirement.js';

/**
 * Why a verifier refused a token; the codes are RFC 6750 §3.1's, RFC 9470 §3's and RFC 9449 §7.1's (a DPoP proof
 * refused), plus one for an unreachable revocation feed.
 */
export type VerifierErrorCode = 'invalid_token' | 'invalid_dpop_proof' | 'insufficient_scope' | 'insufficient_user_authentication' | 'temporarily_unavailable';

/** A refusal by the verifier; `code` is stable, `message` safe to show. */
export class VerifierError extends Error {
  readonly code: VerifierErrorCode;
  /** For `insufficient_user_authentication`: what the sign-in must meet, for the RFC 9470 challenge. */
  readonly requirement: AuthenticationRequirement | undefined;
  constructor(code: VerifierErrorCode, message: string, requirement?: AuthenticationRequirement) {
    super(message);
    this.name = 'VerifierError';
    this.code = code;
    this.requirement = requirement;
  }
}
