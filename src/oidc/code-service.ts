import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AuthorizationCodeRecord, AuthorizationCodeStore } from '../store/types.js';
import { generateSecret, hashSecret } from '../tokens/secret.js';
import { verifierMatches } from './pkce.js';

/** An authorization code lives a minute at most (RFC 6749 §4.1.2 says ten minutes at most; a browser needs seconds). */
export const CODE_TTL_MS = 60_000;

/** How long a redeemed code is remembered, so that a second use can end what the first one started. */
const REDEEMED_CODE_KEPT_MS = 15 * 60_000;

/** What redeeming a code gives: its record, and a way to link the token session it starts (for replay detection). */
export interface RedeemedCode {
  code: AuthorizationCodeRecord;
  started(sid: string): Promise<void>;
}

/** Authorization codes: random, single use, stored hashed, bound to the client, redirect URI, PKCE challenge and sign-in. */
export class CodeService {
  constructor(
    private readonly store: AuthorizationCodeStore,
    private readonly sessions: SessionService,
    private readonly audit?: AuditLog,
  ) {}

  /** Issues a code for an approved authorization request. */
  async issue(record: AuthorizationCodeRecord): Promise<string> {
    const code = generateSecret();
    await this.store.create(hashSecret(code), record, CODE_TTL_MS);
    return code;
  }

  /**
   * Spends a code for the token endpoint (RFC 6749 §4.1.3): it must be live, issued to this client for this
   * redirect URI, and answered by the PKCE verifier (RFC 7636 §4.6); any failure is invalid_grant, and the code
   * is spent either way. A second use ends the session the first one started (RFC 6749 §4.1.2).
   */
  async redeem(code: string, client: Client, redirectUri: string, verifier: string, context: AuditContext = {}): Promise<RedeemedCode> {
    const codeHash = hashSecret(code);
    const redemption = await this.store.redeem(codeHash, REDEEMED_CODE_KEPT_MS);
    if (redemption.outcome === 'replayed') {
      if (redemption.sid !== undefined && (await this.sessions.end(redemption.sid))) {
        const { userId, clientId } = redemption.code;
        this.audit?.emit({ event: 'session_ended', reason: 'code_replayed', ...context, user_id: userId, client_id: clientId, sid: redemption.sid });
      }
      throw oauthError('invalid_grant', 'the authorization code was already used; the tokens issued for it are revoked');
    }
    if (redemption.outcome === 'invalid') throw oauthError('invalid_grant', 'the authorization code is unknown or expired');
    const record = redemption.code;
    if (record.clientId !== client.clientId) throw oauthError('invalid_grant', 'the authorization code was issued to another client');
    if (record.redirectUri !== redirectUri) throw oauthError('invalid_grant', 'redirect_uri differs from the one of the authorization request');
    if (!verifierMatches(verifier, record.codeChallenge)) throw oauthError('invalid_grant', 'the code_verifier does not match the code_challenge');
    return { code: record, started: (sid) => this.store.linkSession(codeHash, sid) };
  }
}
