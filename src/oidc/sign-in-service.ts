import type { Config } from '../config.js';
import type { AuthorizationCodeRecord, SignInRecord, SignInStore, UserRecord } from '../store/types.js';
import { randomId } from '../tokens/ids.js';
import { generateSecret, hashSecret } from '../tokens/secret.js';
import { keptUserAgent, type RequestOrigin } from '../request-origin.js';
import type { SessionService } from '../sessions/session-service.js';

/** The settings SignInService reads. */
export type SignInSettings = Pick<Config, 'signInTtl' | 'signInIdleTtl'>;

/**
 * Sign-ins: a person's browser session at this service, behind a cookie holding a 256-bit secret of which the
 * store keeps only the hash. Independent of HTTP.
 */
export class SignInService {
  constructor(
    private readonly store: SignInStore,
    private readonly sessions: SessionService,
    private readonly settings: SignInSettings,
    private readonly clock: () => number,
  ) {}

  /**
   * Starts a sign-in for a person who just proved who they are; always a new secret (no session fixation).
   * `continuing` keeps the public id of the sign-in the same person renews (prompt=login, max_age);
   * `authenticatedFor` names the authorization request they signed in for (requestFingerprint); `amr`, how they proved
   * who they are (RFC 8176).
   */
  async start(
    user: UserRecord,
    origin: RequestOrigin,
    continuing?: SignInRecord,
    authenticatedFor?: string,
    amr: readonly string[] = ['pwd'],
  ): Promise<{ secret: string; signIn: SignInRecord }> {
    const now = Math.floor(this.clock() / 1000);
    const signIn: SignInRecord = {
      id: continuing?.userId === user.id ? continuing.id : randomId(),
      userId: user.id,
      authTime: now,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + this.settings.signInTtl,
      userAgent: keptUserAgent(origin.userAgent),
      ip: origin.ip,
      ...(authenticatedFor === undefined ? {} : { authenticatedFor }),
      amr: [...amr],
    };
    const secret = generateSecret();
    await this.store.create(hashSecret(secret), signIn, this.settings.signInIdleTtl);
    return { secret, signIn };
  }

  /** The live sign-in a cookie secret stands for (its idle time renewed), or undefined. */
  current(secret: string | undefined): Promise<SignInRecord | undefined> {
    if (secret === undefined || secret === '') return Promise.resolve(undefined);
    return this.store.use(hashSecret(secret), this.settings.signInIdleTtl, Math.floor(this.clock() / 1000));
  }

  /** Forgets a sign-in's secret alone (its tokens sessions live on): the same person signed in again. */
  async forget(secret: string): Promise<void> {
    await this.store.end(hashSecret(secret));
  }

  /** Ends a sign-in and every token session its authorization codes started (RP-initiated logout, sign out). */
  async end(secret: string): Promise<{ signIn: SignInRecord; sessionsEnded: number } | undefined> {
    const signIn = await this.store.end(hashSecret(secret));
    return signIn && { signIn, sessionsEnded: await this.sessions.endStartedBy(signIn.userId, signIn.id) };
  }

  /** Ends every sign-in of a person but the one behind `keepSecret` (a password change, signing out everywhere else). */
  endAllOf(userId: string, keepSecret?: string): Promise<number> {
    return this.store.endAllForUser(userId, keepSecret === undefined ? undefined : hashSecret(keepSecret));
  }

  /**
   * Ends every sign-in and every token session of a person, but the session `keep.sid` or the sign-in `keep.signIn`
   * with the sessions it started; answers how many sessions ended. Sign-ins end first: a code redemption starts its
   * session and then checks its sign-in (startUserSession), so either it sees the sign-in ended, or its session
   * already exists when the sessions end.
   */
  async endEverythingOf(userId: string, keep: { sid?: string; signIn?: { secret: string; id: string } } = {}): Promise<number> {
    await this.endAllOf(userId, keep.signIn?.secret);
    return keep.signIn === undefined ? this.sessions.endAll(userId, keep.sid) : this.sessions.endAllBut(userId, keep.signIn.id);
  }

  /**
   * Whether the sign-in an authorization code was issued under still lives behind the same cookie secret: not ended
   * (sign-out, a password change, an operator), and not renewed since (a new secret after a password change).
   */
  isLive(code: Pick<AuthorizationCodeRecord, 'signInHash' | 'signInId'>): Promise<boolean> {
    return this.store.isLive(code.signInHash, code.signInId);
  }

  /**
   * A new secret and auth_time for a sign-in whose person just proved who they are again (a password change): the
   * same public id, and the old secret, with any copy of the cookie, stops working.
   */
  async renew(user: UserRecord, origin: RequestOrigin, secret: string, signIn: SignInRecord): Promise<{ secret: string; signIn: SignInRecord }> {
    await this.forget(secret);
    return this.start(user, origin, signIn, undefined, signIn.amr);
  }

  /**
   * Counts a wrong current password sent from a sign-in (the account page's password change); at `limit` the sign-in
   * ends, so that a stolen sign-in cookie cannot become a password oracle. True when it ended.
   */
  async passwordFailed(secret: string, limit: number): Promise<boolean> {
    if ((await this.store.countPasswordFailure(hashSecret(secret))) < limit) return false;
    await this.end(secret);
    return true;
  }

  /** Seconds a new sign-in cookie may live: the sign-in's absolute lifetime. */
  get cookieMaxAge(): number {
    return this.settings.signInTtl;
  }
}
