import type { AuditLog } from '../audit/audit-log.js';
import type { AccountService } from '../accounts/account-service.js';
import type { AccountMail } from '../accounts/account-mail.js';
import type { MfaService } from '../mfa/mfa-service.js';
import type { FederationService } from '../federation/federation-service.js';
import { oauthError } from '../errors.js';
import type { SessionService } from '../sessions/session-service.js';
import { sessionView } from '../sessions/session-view.js';
import type { UserRecord, UserStore } from '../store/types.js';
import { foldUsername } from '../users/credentials.js';
import { NO_PASSWORD, type UserService } from '../users/user-service.js';
import { auditAdmin, type AdminActor } from './actor.js';
import { chronological, cursorAfter, keyOfCursor, pageLimit, pageOf, type Page, type PageRequest } from './pagination.js';
import { USER_ID_PATTERN } from '../users/user-id.js';

/** A user as the admin API shows it: never the password hash. */
export interface AdminUserView {
  id: string;
  username: string;
  created_at: number;
  disabled: boolean;
  has_password: boolean;
  password_changed_at: number | null;
  email: string | null;
  email_verified: boolean;
}

/** A mail of a user as the admin API lists it: its state, never its body. */
export interface AdminMailView {
  id: string;
  kind: string;
  to: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  created_at: number;
  updated_at: number;
  last_error: string | null;
}

/** A session as the admin API shows it. */
export type AdminSessionView = ReturnType<typeof sessionView>;

/** What UserAdmin works with. */
export interface UserAdminDependencies {
  users: UserStore;
  userService: UserService;
  accounts: AccountService;
  accountMail: AccountMail;
  mfa: MfaService;
  federation: FederationService;
  sessions: SessionService;
  audit: AuditLog;
}

/** An upstream identity linked to a user, as the admin API shows it. */
export interface AdminIdentityView {
  provider: string;
  /** The provider's name; its id when it is no longer configured. */
  name: string;
  /** Whether the provider is configured still (with the same issuer). */
  offered: boolean;
  /** The provider's `sub` for the person: who to look for at the provider. */
  subject: string;
  linked_at: number;
}

function view(user: UserRecord): AdminUserView {
  return {
    id: user.id,
    username: user.username,
    created_at: user.createdAt,
    disabled: user.disabled,
    has_password: user.passwordHash !== NO_PASSWORD,
    password_changed_at: user.passwordChangedAt ?? null,
    email: user.email?.address ?? null,
    email_verified: user.email?.verified ?? false,
  };
}

function noSuchUser() {
  return oauthError('not_found', 'no such user');
}

/**
 * Users and their sessions for operators (the admin API and the CLI call these same methods). Whatever takes an
 * account away (disable, delete, a password set by an operator) ends every session and sign-in of it at once: refresh
 * tokens stop, and the sids go on the revocation lists, so access tokens are refused within a second everywhere.
 */
export class UserAdmin {
  constructor(private readonly deps: UserAdminDependencies) {}

  /** Users whose username starts with `query` (compared as usernames are: NFKC, any case), in username order. */
  async list(query: string, page: PageRequest): Promise<Page<AdminUserView>> {
    const { users, last } = await this.deps.users.list({ prefix: foldUsername(query), after: keyOfCursor(page.cursor), limit: pageLimit(page) });
    return { items: users.map(view), next_cursor: cursorAfter(last) };
  }

  /** The user a reference names (`resolve`). */
  async get(reference: string): Promise<AdminUserView> {
    return view(await this.#resolve(reference));
  }

  /** Creates a user; without a password it cannot log in until one is set. username_taken or email_taken (409) when taken. */
  async create(username: string, password: string | undefined, actor: AdminActor, email?: string): Promise<AdminUserView> {
    const user = await this.deps.userService.create(username, password, email);
    auditAdmin(this.deps.audit, actor, 'user_created', user.id);
    return view(user);
  }

  /** Disables (ending every session and sign-in) or re-enables a user. */
  async setDisabled(reference: string, disabled: boolean, actor: AdminActor): Promise<AdminUserView> {
    const { id } = await this.#resolve(reference);
    if (!(await this.deps.accounts.setDisabled(id, disabled))) throw noSuchUser();
    auditAdmin(this.deps.audit, actor, disabled ? 'user_disabled' : 'user_enabled', id);
    return this.get(id);
  }

  /**
   * Deletes a user: disabled first (no login can start a session meanwhile), every session and sign-in ended, its
   * consents forgotten, then the record removed and the username freed. A new account of that name gets a new id,
   * so nothing of the old one (sessions, consents, tokens' `sub`) can become the new one's.
   */
  async delete(reference: string, actor: AdminActor): Promise<AdminUserView> {
    const user = await this.#resolve(reference);
    if (!(await this.deps.accounts.delete(user.id))) throw noSuchUser();
    auditAdmin(this.deps.audit, actor, 'user_deleted', user.id);
    return view(user);
  }

  /** Sets a user's password (the policy of registration) and ends every session and sign-in: the owner signs in again. */
  async setPassword(reference: string, password: string, actor: AdminActor): Promise<AdminUserView> {
    const user = await this.#resolve(reference);
    if (!(await this.deps.accounts.setPassword(user.id, password))) throw noSuchUser();
    auditAdmin(this.deps.audit, actor, 'user_password_set', user.id);
    return view(user);
  }

  /**
   * Sets a user's address (`verified` marks it verified at once: the operator vouches for it; the same address again
   * keeps its verification), or clears it with undefined. email_taken (409) when it is another account's.
   */
  async setEmail(reference: string, email: string | undefined, verified: boolean, actor: AdminActor): Promise<AdminUserView> {
    const before = await this.#resolve(reference);
    const user = await this.deps.userService.setEmail(before.id, email, verified);
    if (!user) throw noSuchUser();
    const id = user.id;
    await this.deps.accountMail.emailChanged(before, email, 'by_operator');
    auditAdmin(this.deps.audit, actor, email === undefined ? 'user_email_cleared' : verified ? 'user_email_verified' : 'user_email_set', id);
    return view(user);
  }

  /** Mails the user a verification link (or a reset link); conflict (409) when mail is off or the user has no address. */
  async sendLink(reference: string, kind: 'verification' | 'reset', actor: AdminActor): Promise<void> {
    const user = await this.#resolve(reference);
    if (!this.deps.accountMail.enabled) throw oauthError('conflict', 'mail is off (MAIL_TRANSPORT=off)');
    if (!user.email) throw oauthError('conflict', 'the user has no email address');
    if (kind === 'verification' && user.email.verified) throw oauthError('conflict', 'the address is verified already');
    const sent = kind === 'verification' ? await this.deps.accountMail.sendVerification(user) : await this.deps.accountMail.sendReset(user);
    if (!sent) throw oauthError('too_many_requests', 'the user had this hour’s share of these mails (RATE_LIMIT_RESET_ACCOUNT)');
    auditAdmin(this.deps.audit, actor, kind === 'verification' ? 'user_verification_sent' : 'user_reset_sent', user.id);
  }

  /** The user's latest mails (newest first) and their state: pending, sent or failed, with tries and the last error. */
  async mails(reference: string): Promise<{ items: AdminMailView[] }> {
    const { id } = await this.#resolve(reference);
    const mails = await this.deps.accountMail.mailsOf(id);
    return {
      items: mails.map((mail) => ({
        id: mail.id,
        kind: mail.kind,
        to: mail.to,
        state: mail.state,
        attempts: mail.attempts,
        created_at: Math.floor(mail.createdAt / 1000),
        updated_at: Math.floor(mail.updatedAt / 1000),
        last_error: mail.lastError ?? null,
      })),
    };
  }

  /** The user's second factors: the authenticator app (since when), the passkeys, how many recovery codes are left; never a secret. */
  async factors(reference: string): Promise<{
    totp: { created_at: number } | null;
    passkeys: { id: string; name: string; synced: boolean; created_at: number; last_used_at: number | null }[];
    recovery_codes_left: number;
  }> {
    const { id } = await this.#resolve(reference);
    const factors = await this.deps.mfa.factors(id);
    return {
      totp: factors.totp ? { created_at: factors.totp.createdAt } : null,
      passkeys: factors.passkeys.map((passkey) => ({
        id: passkey.id,
        name: passkey.name,
        synced: passkey.synced,
        created_at: passkey.createdAt,
        last_used_at: passkey.lastUsedAt === 0 ? null : passkey.lastUsedAt,
      })),
      recovery_codes_left: factors.recoveryCodesLeft,
    };
  }

  /** Removes every second factor of a user (one who lost them all); the owner is told. not_found when there were none. */
  async resetFactors(reference: string, actor: AdminActor): Promise<void> {
    const user = await this.#resolve(reference);
    if (!(await this.deps.mfa.removeAll(user, {}, 'by_operator'))) throw oauthError('not_found', 'the user has no second factor');
    auditAdmin(this.deps.audit, actor, 'user_factors_reset', user.id);
  }

  /** Removes one second factor of a user: `totp` (the authenticator app) or a passkey by its id; the owner is told. not_found when it is none of theirs. */
  async removeFactor(reference: string, factor: string, actor: AdminActor): Promise<void> {
    const user = await this.#resolve(reference);
    const removed =
      factor === 'totp' ? await this.deps.mfa.removeApp(user, {}, 'by_operator') : await this.deps.mfa.removePasskey(user, factor, {}, 'by_operator');
    if (!removed) throw oauthError('not_found', factor === 'totp' ? 'the user has no authenticator app' : 'the user has no such passkey');
    auditAdmin(this.deps.audit, actor, 'user_factor_removed', user.id);
  }

  /** The upstream identities linked to a user, oldest first. */
  async identities(reference: string): Promise<AdminIdentityView[]> {
    const { id } = await this.#resolve(reference);
    return (await this.deps.federation.linksOf(id)).map((link) => ({
      provider: link.providerId,
      name: link.name,
      offered: link.offered,
      subject: link.subject,
      linked_at: link.linkedAt,
    }));
  }

  /**
   * Unlinks a provider from a user (a compromised upstream identity, a person who left the provider), even the last
   * way the account signs in: an operator can set a password after. The owner is told. not_found when it is not linked.
   */
  async unlinkIdentity(reference: string, providerId: string, actor: AdminActor): Promise<void> {
    const user = await this.#resolve(reference);
    if ((await this.deps.federation.unlink(user, providerId, {}, 'by_operator')).outcome !== 'unlinked') {
      throw oauthError('not_found', 'the user has no identity of that provider');
    }
    auditAdmin(this.deps.audit, actor, 'user_identity_unlinked', user.id);
  }

  /** The user's live sessions, oldest first. */
  async sessions(reference: string, page: PageRequest): Promise<Page<AdminSessionView>> {
    const { id } = await this.#resolve(reference);
    const sessions = (await this.deps.sessions.list(id)).map(sessionView);
    return pageOf(sessions, (session) => chronological(session.created_at, session.sid), page);
  }

  /** Ends every session and sign-in of a user; answers how many sessions ended. */
  async endSessions(reference: string, actor: AdminActor): Promise<{ ended: number }> {
    const { id } = await this.#resolve(reference);
    const ended = await this.#endEverything(id);
    auditAdmin(this.deps.audit, actor, 'user_sessions_ended', id);
    return { ended };
  }

  /** Ends one session, whoever's it is; not_found when there is no such live session. */
  async endSession(sid: string, actor: AdminActor): Promise<void> {
    if (!(await this.deps.sessions.end(sid))) throw oauthError('not_found', 'no such session');
    auditAdmin(this.deps.audit, actor, 'session_ended', sid);
  }

  /**
   * The user a reference names, as the admin API and the CLI take it: a reference shaped as a user id (a UUID) is an
   * id and nothing else; any other is a username (compared as usernames are: NFKC, any letter case). Never both ways:
   * an account registered under the name of another's id must not draw an operator's action onto that other account.
   */
  async #resolve(reference: string): Promise<UserRecord> {
    const user = USER_ID_PATTERN.test(reference)
      ? await this.deps.users.findById(reference.toLowerCase())
      : await this.deps.users.findByUsernameKey(foldUsername(reference));
    if (!user) throw noSuchUser();
    return user;
  }

  #endEverything(userId: string): Promise<number> {
    return this.deps.accounts.endEverythingOf(userId);
  }
}
