import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import type { Client } from '../clients/client.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AccessTokenIssuer } from '../tokens/access-token.js';
import { inspectToken } from '../tokens/inspect.js';
import type { VerifiedTokenCache } from '../tokens/verified-cache.js';
import type { RevocationService } from './revocation-service.js';

/** What revoking a presented token works with. */
export interface TokenRevocationDependencies {
  sessions: SessionService;
  revocations: RevocationService;
  verifiedTokens: VerifiedTokenCache;
  accessTokens: AccessTokenIssuer;
  audit: AuditLog;
}

/**
 * Revocation of a token by the client it was issued to (RFC 7009 §2.1): a refresh token ends its session, an access
 * token goes on the denylist until it expires; each writes token_revoked. Anything else (unknown, expired, already
 * spent, another client's) changes nothing, and the endpoint answers 200 all the same (§2.2).
 */
export class TokenRevocation {
  constructor(private readonly deps: TokenRevocationDependencies) {}

  /** Revokes `token` if it is `client`'s own; answers nothing either way. */
  async revoke(token: string, client: Client, context: AuditContext): Promise<void> {
    const { sessions, revocations, verifiedTokens, accessTokens, audit } = this.deps;
    const found = await inspectToken(token, sessions, verifiedTokens, accessTokens);
    const revoker = { ...context, client_id: client.clientId };
    if (found?.kind === 'access_token' && found.claims.client_id === client.clientId) {
      await revocations.revokeAccessToken(found.claims);
      // A service's own token (no sid) has the client as its subject: no user to name.
      const user = found.claims.sid === undefined ? {} : { user_id: found.claims.sub, sid: found.claims.sid };
      audit.emit({ event: 'token_revoked', token_type: 'access_token', ...revoker, ...user });
    }
    if (found?.kind === 'refresh_token' && found.current && found.session.clientId === client.clientId) {
      await sessions.end(found.session.sid);
      audit.emit({ event: 'token_revoked', token_type: 'refresh_token', ...revoker, user_id: found.session.userId, sid: found.session.sid });
    }
  }
}
