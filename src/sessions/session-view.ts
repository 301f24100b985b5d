import type { SessionRecord } from '../store/types.js';

/** The JSON Schema of a session as the account API and the admin API show it: never a token. */
export const SESSION_VIEW_SCHEMA = {
  type: 'object',
  required: ['sid', 'client_id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'ip'],
  properties: {
    sid: { type: 'string' },
    client_id: { type: 'string' },
    created_at: { type: 'integer' },
    last_used_at: { type: 'integer' },
    expires_at: { type: 'integer', description: 'The absolute end of the session (epoch seconds).' },
    user_agent: { type: 'string' },
    ip: { type: 'string' },
  },
} as const;

/** A session as the APIs show it (SESSION_VIEW_SCHEMA). */
export function sessionView(session: SessionRecord) {
  return {
    sid: session.sid,
    client_id: session.clientId,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    expires_at: session.expiresAt,
    user_agent: session.userAgent,
    ip: session.ip,
  };
}
