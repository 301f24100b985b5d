import type { AuditContext, AuditEvent, AuditLog } from '../audit/audit-log.js';
import type { ConsentService } from '../oidc/consent-service.js';
import type { SignInService } from '../oidc/sign-in-service.js';
import type { Config } from '../config.js';
import { oauthError, ServiceError } from '../errors.js';
import type { RequestOrigin } from '../request-origin.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SignInRecord, UserRecord } from '../store/types.js';
import { NO_PASSWORD, type UserService } from '../users/user-service.js';
import { assertPasswordPolicy } from '../users/credentials.js';
import { emailKeyOf, validEmail } from '../users/email-address.js';
import type { AccountMail, LinkCheck } from './account-mail.js';
import type { FederationService } from '../federation/federation-service.js';
import type { MfaService } from '../mfa/mfa-service.js';

/** What the account use cases work with. */
export interface AccountDependencies {
  users: UserService;
  sessions: SessionService;
  signIns: SignInService;
  consents: ConsentService;
  audit: AuditLog;
  /** The account's mails: verification links, reset links, security notices. */
  mail: AccountMail;
  /** Second factors (a deleted account's are forgotten). */
  mfa: MfaService;
  /** Upstream identities (a deleted account's links are forgotten, so an identity can sign in a new account). */
  federation: Pick<FederationService, 'forget'>;
  config: Pick<Config, 'rateLimits' | 'email'>;
  /** Epoch milliseconds. */
  clock: () => number;
}

/**
 * Seconds a sign-in proves an account that has no password (one that signs in through another provider) for a
 * sensitive change: a browser left signed in for longer (a borrowed laptop) must sign in again first.
 */
export const RECENT_SIGN_IN = 300;

/** The sign-in a person acts from at this service's pages: its cookie secret and its record. */
export interface ActingSignIn {
  secret: string;
  signIn: SignInRecord;
  origin: RequestOrigin;
}

/** What came of a password change at the service's pages: the renewed sign-in, or whether the browser was signed out. */
export type PasswordChangeAtPages =
  { changed: true; renewed: { secret: string; signIn: SignInRecord } } | { changed: false; signedOut: boolean; signInAgain?: true };

/** A change refused for want of proof: a wrong password (signed out past the free failures), or a sign-in too old. */
export type ProofRefused = { signedOut: boolean; signInAgain?: true };

/** Why every session and sign-in of a person ends, as the sessions_ended_all event names it. */
type EndAllReason = Extract<AuditEvent, { event: 'sessions_ended_all' }>['reason'];

/**
 * The use cases of a person's account, each with its audit events: register, sign in, change the password, end
 * sessions, withdraw a consent, and the operator's disable, enable, delete and set-password. The account API, the
 * account pages, the admin API and the CLI are adapters over these, so each rule (what a password change keeps, what
 * taking an account away ends) is written once.
 */
export class AccountService {
  constructor(private readonly deps: AccountDependencies) {}

  /**
   * Registers a person, with an address when given, and mails it a verification link; the retry of a registration that
   * landed creates nothing, and its event and mail were written then.
   */
  async register(username: string, password: string, context: AuditContext, email?: string): Promise<{ user: UserRecord; retry: boolean }> {
    const registered = await this.deps.users.register(username, password, email);
    if (registered.retry) return registered;
    this.deps.audit.emit({ event: 'user_registered', username: registered.user.username, ...context, user_id: registered.user.id });
    await this.deps.mail.sendVerification(registered.user);
    return registered;
  }

  /**
   * Sets a new password through a reset link, once: the link is spent, the address it was mailed to counts as verified
   * (following it proved the person reads mail there), and every session, sign-in and unredeemed code of the account
   * ends, as after any password change. The person is not signed in: they sign in with the new password, so that a link
   * alone (a forwarded mail, a scanner) never amounts to a sign-in. The owner is told by mail.
   */
  async resetPassword(secret: string, password: string, context: AuditContext): Promise<LinkCheck> {
    assertPasswordPolicy(password);
    const taken = await this.deps.mail.take(secret, 'reset_password');
    if (!taken.ok) return taken;
    const { user, link } = taken;
    await this.deps.users.setPassword(user.id, password);
    if (user.email?.key === emailKeyOf(link.address)) await this.deps.users.markEmailVerified(user.id, user.email.key);
    const count = await this.deps.signIns.endEverythingOf(user.id);
    const known = { ...context, user_id: user.id };
    this.deps.audit.emit({ event: 'password_reset', ...known });
    this.deps.audit.emit({ event: 'sessions_ended_all', reason: 'password_reset', count, ...known });
    await this.deps.mail.passwordChanged(user, 'by_reset');
    return taken;
  }

  /**
   * Checks a password at login: login_failed for a wrong name or password, login_throttled when the account must wait
   * (the 429 goes on). Success is the caller's to record with `loggedIn`, once it has started what the login starts.
   */
  async authenticate(username: string, password: string, context: AuditContext, via: 'password_grant' | 'login_page'): Promise<UserRecord | undefined> {
    const named = { via, username: username.slice(0, 256), ...context };
    const user = await this.#throttled({ event: 'login_throttled', ...named }, () => this.deps.users.authenticate(username, password));
    if (!user) this.deps.audit.emit({ event: 'login_failed', ...named });
    return user;
  }

  /**
   * Whether a person who proved their password must still verify their address before a sign-in starts
   * (SIGN_IN_REQUIRES_VERIFIED_EMAIL): then a new link is mailed (within the account's hourly share) and login_refused
   * written.
   */
  async mustVerifyEmail(user: UserRecord, via: 'password_grant' | 'login_page' | 'registration_page' | 'passkey', context: AuditContext): Promise<boolean> {
    if (!this.deps.config.email.signInRequiresVerified || user.email?.verified === true) return false;
    this.deps.audit.emit({ event: 'login_refused', via, reason: 'email_unverified', ...context, user_id: user.id });
    if (via !== 'registration_page') await this.deps.mail.sendVerification(user);
    return true;
  }

  /** Records a login that started its session or sign-in. */
  loggedIn(
    user: UserRecord,
    via: 'password_grant' | 'login_page' | 'registration_page' | 'second_step' | 'passkey' | 'federation',
    context: AuditContext,
  ): void {
    this.deps.audit.emit({ event: 'login_succeeded', via, ...context, user_id: user.id });
  }

  /**
   * Changes the password of the person behind an access token (the account API) and ends every other session and
   * sign-in of the account; the token's session goes on. A wrong current password counts against that session: too
   * many end it, so a stolen access token cannot become a password oracle.
   */
  async changePasswordInSession(
    user: UserRecord,
    current: string,
    next: string,
    sid: string,
    context: AuditContext,
  ): Promise<{ changed: true } | { changed: false; sessionEnded: boolean }> {
    if (!(await this.#changePassword(user, current, next, context))) {
      return { changed: false, sessionEnded: await this.deps.sessions.passwordFailed(sid, this.deps.config.rateLimits.loginFreeFailures) };
    }
    const count = await this.deps.signIns.endEverythingOf(user.id, { sid });
    this.deps.audit.emit({ event: 'sessions_ended_all', reason: 'password_changed', count, ...context });
    await this.deps.mail.passwordChanged(user, 'by_owner');
    return { changed: true };
  }

  /**
   * Changes the password of the person signed in at the service's pages and ends every other session and sign-in of
   * the account. Their sign-in goes on with a new cookie secret and auth_time, so a copy of the old cookie, and any
   * authorization code it minted, stop working. A wrong current password counts against the sign-in: too many sign
   * the browser out, so a stolen cookie cannot become a password oracle.
   */
  async changePasswordAtPages(user: UserRecord, current: string, next: string, acting: ActingSignIn, context: AuditContext): Promise<PasswordChangeAtPages> {
    if (user.passwordHash === NO_PASSWORD) {
      // An account without a password gets its first one on the proof of a recent sign-in.
      if (!this.#recentlySignedIn(acting)) return { changed: false, signedOut: false, signInAgain: true };
      await this.deps.users.setPassword(user.id, next);
      this.deps.audit.emit({ event: 'password_changed', ...context });
    } else if (!(await this.#changePassword(user, current, next, context))) {
      return { changed: false, signedOut: await this.deps.signIns.passwordFailed(acting.secret, this.deps.config.rateLimits.loginFreeFailures) };
    }
    const count = await this.deps.signIns.endEverythingOf(user.id, { signIn: { secret: acting.secret, id: acting.signIn.id } });
    const renewed = await this.deps.signIns.renew(user, acting.origin, acting.secret, acting.signIn);
    this.deps.audit.emit({ event: 'sessions_ended_all', reason: 'password_changed', count, ...context });
    await this.deps.mail.passwordChanged(user, 'by_owner');
    return { changed: true, renewed };
  }

  /**
   * Asks to change the address of the person signed in at the pages: their password first (throttled as a login; a
   * wrong one counts against the sign-in, as on a password change), then a link to the new address, which becomes the
   * account's when followed (AccountMail.verify). invalid_request for what is no address or is theirs already,
   * email_taken for another account's.
   */
  async requestEmailChange(
    user: UserRecord,
    password: string,
    address: string,
    acting: ActingSignIn,
    context: AuditContext,
  ): Promise<{ sent: true; address: string } | ({ sent: false } & ProofRefused)> {
    const next = validEmail(address);
    if (user.email?.key === next.key && user.email.verified) throw oauthError('invalid_request', 'that is your address already');
    const refused = await this.#proof(user, password, acting, { event: 'login_throttled', via: 'email_change', ...context });
    if (refused) return { sent: false, ...refused };
    await this.deps.mail.sendEmailChange(user, next);
    return { sent: true, address: next.address };
  }

  /**
   * Re-checks the password of the person signed in at the pages before a sensitive change (a second factor set up,
   * removed, new recovery codes): throttled as a login; a wrong one counts against the sign-in, as on a password change.
   */
  async recheckPassword(user: UserRecord, password: string, acting: ActingSignIn, context: AuditContext): Promise<{ confirmed: true } | ProofRefused> {
    return (await this.#proof(user, password, acting, { event: 'login_throttled', via: 'password_change', ...context })) ?? { confirmed: true };
  }

  /**
   * The person's proof of the account for a sensitive change: its password (throttled as a login; a wrong one counts
   * against the sign-in), or for an account without one, a sign-in of the last RECENT_SIGN_IN seconds. Undefined when
   * proven; otherwise why not.
   */
  async #proof(user: UserRecord, password: string, acting: ActingSignIn, throttled: AuditEvent): Promise<ProofRefused | undefined> {
    if (user.passwordHash === NO_PASSWORD) return this.#recentlySignedIn(acting) ? undefined : { signedOut: false, signInAgain: true };
    if (await this.#throttled(throttled, () => this.deps.users.confirmPassword(user, password))) return undefined;
    return { signedOut: await this.deps.signIns.passwordFailed(acting.secret, this.deps.config.rateLimits.loginFreeFailures) };
  }

  #recentlySignedIn(acting: ActingSignIn): boolean {
    return Math.floor(this.deps.clock() / 1000) - acting.signIn.authTime <= RECENT_SIGN_IN;
  }

  /** Ends one of the person's own sessions; undefined when it is no live session of theirs. */
  async endOwnSession(userId: string, sid: string, context: AuditContext): Promise<{ clientId: string; sid: string } | undefined> {
    const ended = await this.deps.sessions.endOwn(userId, sid);
    if (ended)
      this.deps.audit.emit({ event: 'session_ended', reason: 'ended_by_user', ...context, user_id: userId, client_id: ended.clientId, sid: ended.sid });
    return ended;
  }

  /** Ends the session an access token belongs to (its holder logs out); answers the session that ended, if any. */
  async logOut(userId: string, sid: string, clientId: string, context: AuditContext): Promise<{ clientId: string } | undefined> {
    const ended = await this.deps.sessions.end(sid);
    this.deps.audit.emit({ event: 'session_ended', reason: 'logout', ...context, user_id: userId, client_id: clientId, sid });
    return ended;
  }

  /**
   * Ends every session and every sign-in of a person (everywhere includes the browsers signed in at this service,
   * which could otherwise get new codes), but the sign-in `keep` when given; answers how many sessions ended.
   */
  async endEverything(userId: string, reason: EndAllReason, context: AuditContext, keep?: { secret: string; id: string }): Promise<number> {
    const count = await this.deps.signIns.endEverythingOf(userId, keep === undefined ? {} : { signIn: keep });
    this.deps.audit.emit({ event: 'sessions_ended_all', reason, count, ...context, user_id: userId });
    return count;
  }

  /** Signs a browser out: ends its sign-in and the token sessions that sign-in started. */
  async signOut(secret: string, context: AuditContext): Promise<boolean> {
    const ended = await this.deps.signIns.end(secret);
    if (!ended) return false;
    this.deps.audit.emit({ event: 'sessions_ended_all', reason: 'sign_out', count: ended.sessionsEnded, ...context, user_id: ended.signIn.userId });
    return true;
  }

  /** Withdraws a person's consent to a client, which ends that client's sessions of the person. */
  async withdrawConsent(userId: string, clientId: string, context: AuditContext): Promise<void> {
    const { withdrawn, sessionsEnded } = await this.deps.consents.withdraw(userId, clientId);
    if (withdrawn || sessionsEnded > 0)
      this.deps.audit.emit({ event: 'consent_withdrawn', count: sessionsEnded, ...context, user_id: userId, client_id: clientId });
  }

  /** Ends every session and sign-in of an account for an operator (whose admin_action event records it). */
  endEverythingOf(userId: string): Promise<number> {
    return this.deps.signIns.endEverythingOf(userId);
  }

  /** Disables (ending every session and sign-in) or re-enables an account; false when there is no such user. */
  async setDisabled(userId: string, disabled: boolean): Promise<boolean> {
    if (!(await this.deps.users.setDisabled(userId, disabled))) return false;
    if (disabled) await this.endEverythingOf(userId);
    return true;
  }

  /**
   * Deletes an account: disabled first (no login can start a session meanwhile), every session and sign-in ended,
   * its consents forgotten, then the record removed and the username freed. A new account of that name gets a new
   * id, so nothing of the old one (sessions, consents, tokens' `sub`) can become the new one's.
   */
  async delete(userId: string): Promise<boolean> {
    if (!(await this.setDisabled(userId, true))) return false;
    await this.deps.consents.forgetAll(userId);
    await this.deps.mfa.forget(userId);
    await this.deps.federation.forget(userId);
    await this.deps.users.delete(userId);
    return true;
  }

  /** Sets a password for an operator and ends every session and sign-in: the owner signs in again. */
  async setPassword(userId: string, password: string): Promise<boolean> {
    if (!(await this.deps.users.setPassword(userId, password))) return false;
    await this.endEverythingOf(userId);
    const user = await this.deps.users.findActive(userId);
    if (user) await this.deps.mail.passwordChanged(user, 'by_operator');
    return true;
  }

  /** Checks the current password and sets the next (password_changed), or answers false (login_throttled on a 429). */
  async #changePassword(user: UserRecord, current: string, next: string, context: AuditContext): Promise<boolean> {
    const throttled = { event: 'login_throttled', via: 'password_change', ...context } as const;
    const changed = await this.#throttled(throttled, () => this.deps.users.changePassword(user, current, next));
    if (changed) this.deps.audit.emit({ event: 'password_changed', ...context });
    return changed;
  }

  /** Runs a password check, writing `throttled` when it answers 429 because the account must wait (the 429 goes on). */
  async #throttled<T>(throttled: AuditEvent, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'too_many_requests') this.deps.audit.emit(throttled);
      throw error;
    }
  }
}
