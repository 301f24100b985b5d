import type { Config } from '../config.js';
import { oauthError } from '../errors.js';
import type { Store, UserCreation, UserEmail, UserRecord, UserStore } from '../store/types.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import {
  assertPasswordPolicy,
  assertPasswordSize,
  normalizePassword,
  normalizeUsername,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
  usernameBucket,
} from './credentials.js';
import { emailKeyOf, looksLikeEmail, validEmail } from './email-address.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { newUserId } from './user-id.js';

/**
 * Seconds after a registration or a password change during which the same request again is recognised as
 * its retry: the write may have landed after the request was answered 503.
 */
export const RETRY_WINDOW = 600;

/** The password hash of a user an operator created without a password: nothing matches it. */
export const NO_PASSWORD = '';

/** The public view of a user. */
export interface UserProfile {
  id: string;
  username: string;
  created_at: number;
}

/**
 * Registration and password checks, independent of HTTP. Every check of a password goes through the
 * account's LoginThrottle here, so no route can offer an unthrottled password oracle.
 */
export class UserService {
  constructor(
    private readonly users: UserStore,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly clock: () => number,
  ) {}

  /**
   * Creates a user; invalid_request for a malformed username or weak password, username_taken for a taken one
   * (in any letter case). A retry of a registration whose write landed after its 503 is recognised: a user
   * created within RETRY_WINDOW whose password this is (checked through the throttle) is answered as created, with
   * `retry` true: nothing was created now.
   */
  async register(usernameInput: string, password: string, emailInput?: string): Promise<{ user: UserRecord; retry: boolean }> {
    const name = validUsername(usernameInput);
    const email = emailInput === undefined ? undefined : validEmail(emailInput);
    assertPasswordPolicy(password);
    // A cheap check first, so a taken name costs no hash; create() below settles any race atomically.
    const existing = await this.users.findByUsernameKey(name.key);
    if (existing) {
      if (existing.username === name.username && (await this.#isRetryOf(existing, password))) return { user: existing, retry: true };
      throw usernameTaken();
    }
    return { user: await this.#store(name, password, email), retry: false };
  }

  /**
   * Creates a user for an operator (the admin API, the CLI): the username rules and password policy of registration,
   * no retry recognition. Without a password the user cannot log in until an operator sets one.
   */
  async create(usernameInput: string, password: string | undefined, emailInput?: string): Promise<UserRecord> {
    const name = validUsername(usernameInput);
    const email = emailInput === undefined ? undefined : validEmail(emailInput);
    if (password !== undefined) assertPasswordPolicy(password);
    if (await this.users.findByUsernameKey(name.key)) throw usernameTaken();
    return this.#store(name, password, email);
  }

  /**
   * Gives a user a new address (unverified unless `verified`), or none; email_taken (409) when it is another's.
   * The same address again keeps its verification. Answers the user as changed, or undefined when there is none.
   */
  async setEmail(userId: string, emailInput: string | undefined, verified = false): Promise<UserRecord | undefined> {
    const user = await this.users.findById(userId);
    if (!user) return undefined;
    const next = emailInput === undefined ? undefined : validEmail(emailInput);
    const email: UserEmail | undefined = next && { ...next, verified: verified || (user.email?.key === next.key && user.email.verified) };
    const outcome = await this.users.setEmail(userId, email);
    if (outcome === 'taken') throw emailTaken();
    if (outcome === 'missing') return undefined;
    const { email: _previous, ...rest } = user;
    return email ? { ...rest, email } : rest;
  }

  /** Marks a user's address verified, only while it is still the one with this key; false otherwise. */
  markEmailVerified(userId: string, emailKey: string): Promise<boolean> {
    return this.users.markEmailVerified(userId, emailKey);
  }

  /**
   * The accounts a person may mean by what they typed where a username or an address goes: the one with that username,
   * and the one with that address (two accounts when a username looks like another's address). Disabled ones are left out.
   */
  async findByLogin(input: string): Promise<UserRecord[]> {
    const name = normalizeUsername(input);
    const [byName, byEmail] = await Promise.all([
      name ? this.users.findByUsernameKey(name.key) : undefined,
      looksLikeEmail(input) ? this.users.findByEmailKey(emailKeyOf(input)) : undefined,
    ]);
    const found = [byName, byEmail].filter((user): user is UserRecord => user !== undefined && !user.disabled);
    return found.filter((user, index) => found.findIndex((other) => other.id === user.id) === index);
  }

  /** The user whose address has this key, when it is live (not disabled). */
  async findByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    const user = await this.users.findByEmailKey(emailKey);
    return user && !user.disabled ? user : undefined;
  }

  /** Disables or re-enables an account (the caller ends what a disabled account had started); false when there is no such user. */
  setDisabled(userId: string, disabled: boolean): Promise<boolean> {
    return this.users.setDisabled(userId, disabled);
  }

  /** Removes an account's record and frees its username (the caller has ended everything it had). */
  async delete(userId: string): Promise<void> {
    await this.users.delete(userId);
  }

  /** Sets a user's password for an operator (no current password asked); false when there is no such user. */
  async setPassword(userId: string, password: string): Promise<boolean> {
    assertPasswordPolicy(password);
    return this.users.setPasswordHash(userId, await this.hasher.hash(normalizePassword(password)), Math.floor(this.clock() / 1000));
  }

  /** Stores a new user; username_taken or email_taken when another took the name or address first (create() settles the race atomically). */
  async #store(name: { username: string; key: string }, password: string | undefined, email: UserEmail | undefined): Promise<UserRecord> {
    const user: UserRecord = {
      id: newUserId(),
      username: name.username,
      usernameKey: name.key,
      passwordHash: password === undefined ? NO_PASSWORD : await this.hasher.hash(normalizePassword(password)),
      createdAt: Math.floor(this.clock() / 1000),
      disabled: false,
      ...(email === undefined ? {} : { email }),
    };
    const created: UserCreation = await this.users.create(user);
    if (created === 'username_taken') throw usernameTaken();
    if (created === 'email_taken') throw emailTaken();
    return user;
  }

  /**
   * The user whose password this is, or undefined. Unknown, malformed and disabled usernames pay
   * for one argon2 verification too, so the answer and its timing do not tell them apart.
   * The attempt is throttled per account (429 when it must wait); a hash weaker than the configured
   * policy is replaced after a successful check.
   */
  async authenticate(usernameInput: string, password: string): Promise<UserRecord | undefined> {
    assertPasswordSize(password);
    const candidate = normalizePassword(password);
    const account = usernameBucket(usernameInput);
    await this.throttle.reserve(account);
    const name = normalizeUsername(usernameInput);
    const user = name && (await this.users.findByUsernameKey(name.key));
    // A user without a password pays for a verification too: the answer's timing does not tell it apart.
    if (!user || user.passwordHash === NO_PASSWORD) return this.hasher.verifyNothing(candidate).then(() => undefined);
    const matches = await this.hasher.verify(user.passwordHash, candidate);
    if (!matches || user.disabled) return undefined;
    await this.throttle.succeed(account);
    if (this.hasher.needsRehash(user.passwordHash)) {
      await this.users.setPasswordHash(user.id, await this.hasher.hash(candidate));
    }
    return user;
  }

  /** The user with this id, when it exists and is not disabled. */
  async findActive(id: string): Promise<UserRecord | undefined> {
    const user = await this.users.findById(id);
    return user && !user.disabled ? user : undefined;
  }

  /**
   * Replaces a user's password after checking the current one, throttled as a login of the account is;
   * false (and nothing changed) when the current password is wrong. A retry of a change whose write landed
   * after its 503 is recognised: when the password was changed within RETRY_WINDOW and the new password is
   * already the user's (a second attempt on the throttle), the change is done.
   */
  async changePassword(user: UserRecord, current: string, next: string): Promise<boolean> {
    assertPasswordSize(current);
    assertPasswordPolicy(next);
    if (await this.#checkPassword(user, current)) {
      await this.users.setPasswordHash(user.id, await this.hasher.hash(normalizePassword(next)), Math.floor(this.clock() / 1000));
      return true;
    }
    return this.#recent(user.passwordChangedAt) && this.#checkPassword(user, next);
  }

  /** Whether `password` is the user's, as one attempt on the account's throttle (429 when it must wait): a re-check before a sensitive change. */
  async confirmPassword(user: UserRecord, password: string): Promise<boolean> {
    assertPasswordSize(password);
    return this.#checkPassword(user, password);
  }

  /** Whether `password` is the user's, as one attempt on the account's throttle (429 when it must wait). */
  async #checkPassword(user: UserRecord, password: string): Promise<boolean> {
    await this.throttle.reserve(user.usernameKey);
    if (!(await this.hasher.verify(user.passwordHash, normalizePassword(password)))) return false;
    await this.throttle.succeed(user.usernameKey);
    return true;
  }

  /** Whether a registration of a taken name (spelled the same) is the retry of the one that took it: recently, with this password. */
  async #isRetryOf(existing: UserRecord, password: string): Promise<boolean> {
    return this.#recent(existing.createdAt) && !existing.disabled && (await this.#checkPassword(existing, password));
  }

  /** Whether a write made at `at` (epoch seconds) is recent enough that a request now may be its retry. */
  #recent(at: number | undefined): boolean {
    const age = Math.floor(this.clock() / 1000) - (at ?? -Infinity);
    return age >= 0 && age <= RETRY_WINDOW;
  }
}

/** The UserService of a configuration: its argon2 parameters and login-throttle limits over the store; `hashing` bounds concurrent hashes. */
export function createUserService(
  store: Pick<Store, 'users' | 'loginFailures'>,
  config: Pick<Config, 'argon2' | 'rateLimits'>,
  clock: () => number,
  hashing?: ConcurrencyLimit,
): UserService {
  const { loginFailuresPerHour: maxPerHour, loginFreeFailures: freeFailures } = config.rateLimits;
  const throttle = new LoginThrottle(store.loginFailures, { maxPerHour, freeFailures }, clock);
  return new UserService(store.users, new PasswordHasher(config.argon2, hashing), throttle, clock);
}

/** The profile fields a client may see. */
export function profileOf(user: UserRecord): UserProfile {
  return { id: user.id, username: user.username, created_at: user.createdAt };
}

/** The normalized username, or invalid_request saying what a username may be. */
function validUsername(input: string): { username: string; key: string } {
  const name = normalizeUsername(input);
  if (!name) throw oauthError('invalid_request', `username must be ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} letters, digits or . _ @ + -`);
  return name;
}

function usernameTaken() {
  return oauthError('username_taken', 'that username is taken');
}

function emailTaken() {
  return oauthError('email_taken', 'that email address belongs to another account');
}
