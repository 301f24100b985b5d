/** Why a verifier refused a token; the codes are RFC 6750 §3.1's, plus one for an unreachable revocation feed. */
export type VerifierErrorCode = 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

/** A refusal by the verifier; `code` is stable, `message` safe to show. */
export class VerifierError extends Error {
  readonly code: VerifierErrorCode;
  constructor(code: VerifierErrorCode, message: string) {
    super(message);
    this.name = 'VerifierError';
    this.code = code;
  }
}
