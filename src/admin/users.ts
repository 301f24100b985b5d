import type { AuditLog } from '../audit/audit-log.js';
import type { AccountService } from '../accounts/account-service.js';
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
}

/** A session as the admin API shows it. */
export type AdminSessionView = ReturnType<typeof sessionView>;

/** What UserAdmin works with. */
export interface UserAdminDependencies {
  users: UserStore;
  userService: UserService;
  accounts: AccountService;
  sessions: SessionService;
  audit: AuditLog;
}

function view(user: UserRecord): AdminUserView {
  return {
    id: user.id,
    username: user.username,
    created_at: user.createdAt,
    disabled: user.disabled,
    has_password: user.passwordHash !== NO_PASSWORD,
    password_changed_at: user.passwordChangedAt ?? null,
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

  /** Creates a user; without a password it cannot log in until one is set. username_taken (409) when the name is. */
  async create(username: string, password: string | undefined, actor: AdminActor): Promise<AdminUserView> {
    const user = await this.deps.userService.create(username, password);
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
