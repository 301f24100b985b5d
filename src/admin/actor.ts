import type { AdminAction, AuditLog } from '../audit/audit-log.js';

/** Who performs an admin action: an admin client through the admin API, an operator at the CLI, or a schedule (KEY_ROTATION_INTERVAL). */
export interface AdminActor {
  via: 'api' | 'cli' | 'schedule';
  /** The admin client (its access token's client_id), through the API. */
  clientId?: string | undefined;
  ip?: string | undefined;
}

/** Writes an admin_action audit event: the action, its target and who did it; never a password or a secret. */
export function auditAdmin(audit: AuditLog, actor: AdminActor, action: AdminAction, target: string): void {
  audit.emit({
    event: 'admin_action',
    action,
    target,
    via: actor.via,
    ...(actor.clientId === undefined ? {} : { client_id: actor.clientId }),
    ...(actor.ip === undefined ? {} : { ip: actor.ip }),
  });
}
