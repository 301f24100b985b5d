/**
 * One table of error codes, as supabase/auth keeps one: every error a client can see
 * has a stable `error` code, an HTTP status, and an RFC-shaped JSON body
 * (RFC 6749 §5.2 `{ error, error_description }`).
 */
export const ERROR_STATUS = {
  // RFC 6749 §5.2
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  // RFC 8707 §2
  invalid_target: 400,
  // RFC 8628 §3.5: a device polling the token endpoint before, too often or after its person answered.
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  // RFC 7591 §3.2.2
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
  // RFC 6749 §4.1.2.1 and OpenID Connect Core §3.1.2.6: the authorization endpoint sends these in its redirect.
  unsupported_response_type: 400,
  login_required: 400,
  consent_required: 400,
  // RFC 9449 §5, §7.1, §8: a DPoP proof refused, or one without the server's current nonce. 400 at the token endpoint;
  // a resource server answers 401 with a DPoP challenge.
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
  // RFC 6750 §3.1
  invalid_token: 401,
  insufficient_scope: 403,
  // RFC 9470 §3: a valid token whose sign-in is too weak or too old for the resource.
  insufficient_user_authentication: 401,
  // RFC 6749 §4.1.2.1 names these two for the authorization endpoint; they carry over as HTTP answers.
  server_error: 500,
  temporarily_unavailable: 503,
  // Account and transport errors in the same shape.
  access_denied: 403,
  registration_closed: 403,
  username_taken: 409,
  email_taken: 409,
  // The admin API: a change the target's state does not allow (a CLIENTS_FILE client, a read-only KEYS_DIR, a taken id).
  conflict: 409,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
} as const;

/** A stable error code that clients may branch on. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The JSON body of every error response. */
export interface ErrorBody {
  error: ErrorCode;
  error_description: string;
}

/** An error meant for the client: its code, description and headers are safe to send. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  /** `status` overrides the table where an endpoint's RFC sets another (RFC 8628 §3.5: access_denied at the token endpoint is 400). */
  constructor(code: ErrorCode, description: string, headers: Record<string, string> = {}, status: number = ERROR_STATUS[code]) {
    super(description);
    this.name = 'ServiceError';
    this.code = code;
    this.status = status;
    this.headers = headers;
  }

  /** The response body, in RFC 6749 §5.2 shape. */
  toBody(): ErrorBody {
    return { error: this.code, error_description: this.message };
  }
}

/** Shorthand for `new ServiceError(...)`, so call sites read as `throw oauthError('invalid_grant', '...')`. */
export function oauthError(code: ErrorCode, description: string, headers?: Record<string, string>): ServiceError {
  return new ServiceError(code, description, headers);
}

/** A store (Redis) failure: the request cannot be served now, but may be retried. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A configuration problem found at start: names the variable and what it expects. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, expectation: string) {
    super(`${variable}: ${expectation}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}
