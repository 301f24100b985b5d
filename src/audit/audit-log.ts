import type { AuditSetting } from '../config.js';
import { keptUserAgent, type RequestOrigin } from '../request-origin.js';

/** What the audit log writes with: the service's logger (pino), of which it takes a child with a level of its own. */
export interface AuditLogger {
  child(
    bindings: Record<string, unknown>,
    options: { level: string },
  ): { info(event: object, message: string): void; debug(event: object, message: string): void };
}

/** Who and where, on the events a request causes; each only where it applies. Never a secret, token or password. */
export interface AuditContext {
  user_id?: string;
  client_id?: string;
  sid?: string;
  ip?: string;
  user_agent?: string;
}

/** The security-relevant events, each with its stable `event` name and its own fields beside the context. */
export type AuditEvent = AuditContext &
  (
    | { event: 'login_succeeded'; via: 'password_grant' | 'login_page' | 'registration_page' | 'second_step' | 'passkey' | 'federation' }
    | { event: 'login_failed'; via: 'password_grant' | 'login_page'; username: string }
    | { event: 'login_refused'; via: 'password_grant' | 'login_page' | 'registration_page' | 'passkey'; reason: 'email_unverified' }
    | { event: 'login_throttled'; via: 'password_grant' | 'login_page' | 'password_change' | 'email_change'; username?: string }
    | { event: 'token_refreshed' }
    | { event: 'refresh_reuse_detected' }
    | { event: 'session_ended'; reason: 'logout' | 'ended_by_user' | 'code_replayed' }
    | {
        event: 'sessions_ended_all';
        reason: 'logout_all' | 'password_changed' | 'password_reset' | 'other_sessions' | 'sign_out' | 'second_factor_added';
        count: number;
      }
    | { event: 'token_revoked'; token_type: 'access_token' | 'refresh_token' }
    | { event: 'password_changed' }
    | { event: 'consent_withdrawn'; count: number }
    | { event: 'client_auth_failed'; client_id?: string }
    | { event: 'client_registered' | 'client_registration_updated' | 'client_registration_deleted' | 'client_registration_expired'; client_id: string }
    | { event: 'user_registered'; username: string }
    | { event: 'key_activated'; kid: string }
    | { event: 'key_retired'; kid: string }
    | { event: 'rate_limited'; bucket: string }
    | { event: 'admin_action'; action: AdminAction; target: string; via: 'api' | 'cli' | 'schedule' }
    | { event: 'mail_sent' | 'mail_retried' | 'mail_failed'; message_id: string; kind: string; attempts: number }
    | { event: 'email_verified' | 'email_changed'; address: string }
    | { event: 'second_factor_added' | 'second_factor_removed'; factor: 'totp' | 'passkey' }
    | { event: 'second_factor_failed'; factor: 'totp' | 'recovery_code' }
    | { event: 'passkey_failed'; reason: PasskeyFailure }
    | { event: 'identity_linked' | 'identity_unlinked'; provider: string }
    | { event: 'recovery_code_used'; left: number }
    | { event: 'recovery_codes_renewed' }
    | { event: 'password_reset_requested'; sent: boolean }
    | { event: 'password_reset' }
    | { event: 'device_approved' | 'device_denied' }
    | { event: 'user_code_refused' }
  );

/** Why a passkey was refused: a failed check, a passkey nobody has, a counter that went back (a clone?), a changed backup eligibility, a spent or foreign challenge. */
export type PasskeyFailure = 'invalid' | 'unknown_passkey' | 'stale_counter' | 'backup_eligibility_changed' | 'expired';

/** What an operator did through the admin API or the CLI (an admin_action event). */
export type AdminAction =
  | 'user_created'
  | 'user_disabled'
  | 'user_enabled'
  | 'user_deleted'
  | 'user_password_set'
  | 'user_email_set'
  | 'user_email_cleared'
  | 'user_email_verified'
  | 'user_verification_sent'
  | 'user_reset_sent'
  | 'user_factors_reset'
  | 'user_factor_removed'
  | 'user_identity_unlinked'
  | 'user_sessions_ended'
  | 'session_ended'
  | 'client_created'
  | 'client_updated'
  | 'client_deleted'
  | 'client_secret_rotated'
  | 'provider_created'
  | 'provider_updated'
  | 'provider_deleted'
  | 'provider_secret_rotated'
  | 'resource_created'
  | 'resource_updated'
  | 'resource_deleted'
  | 'key_rotated'
  | 'key_retired';

/** Every audit event's name (docs/operations/production.md lists them with their fields). */
export type AuditEventName = AuditEvent['event'];

/** Events too frequent for the default level: written at debug. */
const DEBUG_EVENTS: ReadonlySet<AuditEventName> = new Set(['token_refreshed']);

/**
 * The audit log: one JSON line per security-relevant event, with a stable `event` field and `audit: true`, on
 * the service's log stream but with a level of its own (AUDIT_LOG), so it can stay on when request logs are off.
 */
export class AuditLog {
  readonly #logger: ReturnType<AuditLogger['child']> | undefined;
  readonly #observe: ((event: AuditEvent) => void) | undefined;

  /** `observe` sees every event whatever the setting says (the metrics count them). */
  constructor(logger: AuditLogger, setting: AuditSetting, observe?: (event: AuditEvent) => void) {
    this.#logger = setting === 'off' ? undefined : logger.child({ audit: true }, { level: setting === 'stdout' ? 'info' : setting });
    this.#observe = observe;
  }

  /** Writes an event (a no-op with AUDIT_LOG=off or below its level). */
  emit(event: AuditEvent): void {
    this.#observe?.(event);
    if (!this.#logger) return;
    if (DEBUG_EVENTS.has(event.event)) this.#logger.debug(event, event.event);
    else this.#logger.info(event, event.event);
  }
}

/** The context of a request's origin for audit events. */
export function originContext(origin: RequestOrigin): AuditContext {
  return { ip: origin.ip, user_agent: keptUserAgent(origin.userAgent) };
}

/** The context of an HTTP request for audit events: its client address and User-Agent (cut as sessions cut it). */
export function requestContext(request: { ip: string; headers: { 'user-agent'?: string | undefined } }): AuditContext {
  return originContext({ ip: request.ip, userAgent: request.headers['user-agent'] ?? '' });
}
