import { predates, type Client } from '../clients/client.js';
import type { Config } from '../config.js';
import { oauthError, StoreUnavailableError } from '../errors.js';
import type { SessionRecord, SessionStore, UserRecord } from '../store/types.js';
import { denylistTtl } from '@tokensmith/verifier/shared';
import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import { keptUserAgent, type RequestOrigin } from '../request-origin.js';
import { randomId } from '../tokens/ids.js';
import { hashRefreshToken, openSuccessor, sealSuccessor } from '../tokens/refresh-token.js';
import { generateSecret } from '../tokens/secret.js';

/** A session and, for clients allowed the refresh_token grant, the refresh token that continues it. */
export interface StartedSession {
  session: SessionRecord;
  refreshToken: string | undefined;
}

/** The settings SessionService reads: lifetimes and the reuse grace. */
/** How the person a session is for authenticated: the sign-in its code came from (when and how), or a password now. */
export interface SessionAuthentication {
  signInId?: string;
  /** Epoch seconds; now when unset (the password grant authenticates as it starts the session). */
  authTime?: number;
  amr: readonly string[];
}

/** What a session grants: the scope, and the resource its access tokens are meant for when one was named (RFC 8707). */
export interface SessionGrant {
  scope: string;
  resource: string | undefined;
  /** The DPoP key the token request proved (RFC 9449): a public client's refresh tokens are bound to it (§5). */
  dpopJkt?: string | undefined;
}

export type SessionSettings = Pick<Config, 'accessTokenTtl' | 'refreshTokenTtl' | 'refreshIdleTtl' | 'refreshReuseGrace'>;

/** Sessions and refresh tokens, independent of HTTP. */
export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly config: SessionSettings,
    private readonly clock: () => number,
    private readonly audit?: AuditLog,
    /** Whether a session's client is still registered as it was (ClientRegistry.issuedToCurrent); every one by default. */
    private readonly clientIsCurrent: (clientId: string, issuedAt: number) => boolean = () => true,
  ) {}

  /**
   * Starts a session for a login. With the refresh_token grant it lives REFRESH_TOKEN_TTL at most and
   * ends after REFRESH_IDLE_TTL unused; without, it lives as long as its one access token.
   */
  async start(user: UserRecord, client: Client, grant: SessionGrant, origin: RequestOrigin, authentication: SessionAuthentication): Promise<StartedSession> {
    const now = Math.floor(this.clock() / 1000);
    const refreshable = client.grantTypes.has('refresh_token');
    const lifetime = refreshable ? this.config.refreshTokenTtl : this.config.accessTokenTtl;
    const session: SessionRecord = {
      sid: randomId(),
      userId: user.id,
      clientId: client.clientId,
      scope: grant.scope,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + lifetime,
      userAgent: keptUserAgent(origin.userAgent),
      ip: origin.ip,
      ...(authentication.signInId === undefined ? {} : { signInId: authentication.signInId }),
      authTime: authentication.authTime ?? now,
      amr: [...authentication.amr],
      ...(grant.resource === undefined ? {} : { resource: grant.resource }),
      // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key; a confidential client authenticates.
      ...(grant.dpopJkt === undefined || client.type !== 'public' || !refreshable ? {} : { dpopJkt: grant.dpopJkt }),
    };
    const refreshToken = refreshable ? generateSecret() : undefined;
    await this.store.create(session, {
      idleTtl: refreshable ? this.config.refreshIdleTtl : lifetime,
      ...(refreshToken === undefined ? {} : { refreshTokenHash: hashRefreshToken(refreshToken) }),
    });
    return { session, refreshToken };
  }

  /**
   * Spends a refresh token for its successor (RFC 6749 §6, rotation per RFC 9700 §4.14.2). A spent
   * token presented again revokes the session, except the newest token's predecessor within
   * REFRESH_REUSE_GRACE, which gets the same successor back. A session bound to a DPoP key rotates only for a proof made
   * with it (`dpopJkt`, the proof's thumbprint), and a request without one changes nothing.
   */
  async refresh(refreshToken: string, client: Client, context: AuditContext = {}, dpopJkt?: string): Promise<StartedSession> {
    const successor = generateSecret();
    const result = await this.store.rotate({
      tokenHash: hashRefreshToken(refreshToken),
      clientId: client.clientId,
      newTokenHash: hashRefreshToken(successor),
      sealedSuccessor: sealSuccessor(refreshToken, successor),
      graceMs: this.config.refreshReuseGrace * 1000,
      idleTtl: this.config.refreshIdleTtl,
      revokedTtl: this.#revokedTtl(),
      dpopJkt,
    });
    if (result.outcome === 'wrong_key') {
      throw oauthError(
        'invalid_grant',
        dpopJkt === undefined ? 'the refresh token is bound to a DPoP key: send a proof made with it' : 'the refresh token is bound to another DPoP key',
      );
    }
    if ((result.outcome === 'rotated' || result.outcome === 'grace') && predates(client, result.session.createdAt)) {
      // A session of an earlier client of this id, deleted since (the admin API): it ends instead of living on.
      await this.end(result.session.sid);
      throw invalidRefreshToken();
    }
    if (result.outcome === 'rotated') return { session: result.session, refreshToken: successor };
    if (result.outcome === 'grace') {
      const current = openSuccessor(refreshToken, result.sealedSuccessor, result.successorHash);
      if (current !== undefined) return { session: result.session, refreshToken: current };
    }
    if (result.outcome === 'reused') {
      this.audit?.emit({ event: 'refresh_reuse_detected', ...context, user_id: result.userId, client_id: client.clientId, sid: result.sid });
    }
    throw invalidRefreshToken();
  }

  /**
   * Records, without waiting, that a refresh token from refresh() is handed to its client. Until the mark lands,
   * its predecessor may ask again past the grace and get it: the answer to a rotation that a stalled store made
   * may never have arrived. The response does not wait for the mark: a mark that lands late, or whose answer is
   * lost, is still true, while failing the request over it would turn the client's honest retry into reuse.
   * A store outage only leaves the token unmarked; any other failure surfaces as an unhandled rejection (logged).
   */
  delivered(session: SessionRecord, refreshToken: string): void {
    this.store.markDelivered(session.sid, hashRefreshToken(refreshToken)).catch((error: unknown) => {
      if (!(error instanceof StoreUnavailableError)) throw error;
    });
  }

  /**
   * Runs `check` (which throws what it refuses: a scope or a resource beyond the grant) on the session the current
   * refresh token belongs to, before a rotation would spend it; nothing changes. A spent token is not answered here:
   * refresh() must see it first, so that reuse detection (or the grace) applies whatever else the request carries
   * (RFC 9700 §4.14.2).
   */
  async checkBeforeRefresh(refreshToken: string, client: Client, check: (session: SessionRecord) => unknown): Promise<void> {
    const found = await this.findByRefreshToken(refreshToken);
    if (!found || found.session.clientId !== client.clientId) throw invalidRefreshToken();
    if (found.current) check(found.session);
  }

  /** The live session a refresh token (current or spent) belongs to, and whether it is the current one; reads only. */
  findByRefreshToken(refreshToken: string): Promise<{ session: SessionRecord; current: boolean } | undefined> {
    return this.store.findByRefreshToken(hashRefreshToken(refreshToken));
  }

  /** Ends the session a refresh token of this client belongs to, and answers it; unknown tokens change nothing. */
  async endByRefreshToken(refreshToken: string, client: Client): Promise<SessionRecord | undefined> {
    const found = await this.findByRefreshToken(refreshToken);
    if (found && found.session.clientId === client.clientId) return this.end(found.session.sid);
    return undefined;
  }

  /** Ends the session of a refresh token at its holder's request (RFC 6749 has no logout; this is the service's own), writing session_ended. */
  async logOut(refreshToken: string, client: Client, context: AuditContext): Promise<SessionRecord | undefined> {
    const ended = await this.endByRefreshToken(refreshToken, client);
    if (ended) this.audit?.emit({ event: 'session_ended', reason: 'logout', ...context, user_id: ended.userId, client_id: client.clientId, sid: ended.sid });
    return ended;
  }

  /** Ends one session; its access tokens are refused from now on. */
  end(sid: string): Promise<SessionRecord | undefined> {
    return this.store.end(sid, this.#revokedTtl());
  }

  /** Ends a session of this user; undefined (nothing changed) when the sid is not one of the user's live sessions. */
  async endOwn(userId: string, sid: string): Promise<SessionRecord | undefined> {
    const session = await this.store.get(sid);
    return session?.userId === userId ? this.end(sid) : undefined;
  }

  /** Ends every session of a user that the given sign-in's authorization codes started. */
  endStartedBy(userId: string, signInId: string): Promise<number> {
    return this.#endWhere(userId, (session) => session.signInId === signInId);
  }

  /** Ends every session of a user with one client (a consent withdrawn); answers how many ended. */
  endForClient(userId: string, clientId: string): Promise<number> {
    return this.#endWhere(userId, (session) => session.clientId === clientId);
  }

  /** Ends every session of a user but those the given sign-in started ("end all other sessions" on the account page). */
  endAllBut(userId: string, signInId: string): Promise<number> {
    return this.#endWhere(userId, (session) => session.signInId !== signInId);
  }

  async #endWhere(userId: string, matches: (session: SessionRecord) => boolean): Promise<number> {
    const ending = (await this.store.listForUser(userId)).filter(matches);
    for (const session of ending) await this.end(session.sid);
    return ending.length;
  }

  /** Ends every session of a user but `keepSid`. */
  endAll(userId: string, keepSid?: string): Promise<number> {
    return this.store.endAllForUser(userId, this.#revokedTtl(), keepSid);
  }

  /**
   * The latest moment (epoch seconds) a session can still be alive, as of its last use: its absolute end,
   * and for refreshable sessions the end of its idle time. No access token of the session may outlive it.
   */
  endOf(session: SessionRecord, client: Client): number {
    if (!client.grantTypes.has('refresh_token')) return session.expiresAt;
    return Math.min(session.expiresAt, session.lastUsedAt + this.config.refreshIdleTtl);
  }

  /**
   * Counts a wrong password sent from a session; the `limit`-th ends the session, and with it every access
   * token it holds. Returns whether it ended.
   */
  async passwordFailed(sid: string, limit: number): Promise<boolean> {
    if ((await this.store.countPasswordFailure(sid)) < limit) return false;
    await this.end(sid);
    return true;
  }

  /**
   * A user's live sessions. A session whose client has been deleted is left out: it can neither refresh nor have its
   * access tokens accepted here, so it is over, though the store keeps it until it expires.
   */
  async list(userId: string): Promise<SessionRecord[]> {
    return (await this.store.listForUser(userId)).filter((session) => this.clientIsCurrent(session.clientId, session.createdAt));
  }

  /**
   * How long an ended session's sid stays on the denylist: past the expiry of the last access token it
   * can have issued (one lifetime from now), by the longest clock tolerance a verifier may use.
   */
  #revokedTtl(): number {
    return denylistTtl(this.config.accessTokenTtl);
  }
}

/** RFC 6749 §5.2: expired, revoked, reused and foreign refresh tokens are all invalid_grant. */
function invalidRefreshToken() {
  return oauthError('invalid_grant', 'the refresh token is invalid, expired or revoked');
}
