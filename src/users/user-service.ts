import { randomUUID } from 'node:crypto';
import { oauthError } from '../errors.js';
import type { UserRecord, UserStore } from '../store/types.js';
import { assertPasswordPolicy, assertPasswordSize, normalizePassword, normalizeUsername, USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH } from './credentials.js';
import type { PasswordHasher } from './password-hasher.js';

/** The public view of a user. */
export interface UserProfile {
  id: string;
  username: string;
  created_at: number;
}

/** Registration and password checks, independent of HTTP. */
export class UserService {
  constructor(
    private readonly users: UserStore,
    private readonly hasher: PasswordHasher,
    private readonly clock: () => number,
  ) {}

  /** Creates a user; invalid_request for a malformed username or weak password, username_taken for a taken one (in any letter case). */
  async register(usernameInput: string, password: string): Promise<UserRecord> {
    const name = normalizeUsername(usernameInput);
    if (!name) {
      throw oauthError('invalid_request', `username must be ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} letters, digits or . _ @ + -`);
    }
    assertPasswordPolicy(password);
    // A cheap check first, so a taken name costs no hash; create() below settles any race atomically.
    if (await this.users.findByUsernameKey(name.key)) throw usernameTaken();
    const user: UserRecord = {
      id: randomUUID(),
      username: name.username,
      usernameKey: name.key,
      passwordHash: await this.hasher.hash(normalizePassword(password)),
      createdAt: Math.floor(this.clock() / 1000),
      disabled: false,
    };
    if (!(await this.users.create(user))) throw usernameTaken();
    return user;
  }

  /**
   * The user whose password this is, or undefined. Unknown, malformed and disabled usernames pay
   * for one argon2 verification too, so the answer and its timing do not tell them apart.
   * A hash weaker than the configured policy is replaced after a successful check.
   */
  async authenticate(usernameInput: string, password: string): Promise<UserRecord | undefined> {
    assertPasswordSize(password);
    const candidate = normalizePassword(password);
    const name = normalizeUsername(usernameInput);
    const user = name && (await this.users.findByUsernameKey(name.key));
    if (!user) return this.hasher.verifyNothing(candidate).then(() => undefined);
    const matches = await this.hasher.verify(user.passwordHash, candidate);
    if (!matches || user.disabled) return undefined;
    if (this.hasher.needsRehash(user.passwordHash)) {
      await this.users.setPasswordHash(user.id, await this.hasher.hash(candidate));
    }
    return user;
  }

  /** Replaces a user's password after checking the current one; invalid_grant when it is wrong. */
  async changePassword(user: UserRecord, current: string, next: string): Promise<void> {
    assertPasswordSize(current);
    assertPasswordPolicy(next);
    if (!(await this.hasher.verify(user.passwordHash, normalizePassword(current)))) throw oauthError('invalid_grant', 'the current password is wrong');
    await this.users.setPasswordHash(user.id, await this.hasher.hash(normalizePassword(next)));
  }
}

/** The profile fields a client may see. */
export function profileOf(user: UserRecord): UserProfile {
  return { id: user.id, username: user.username, created_at: user.createdAt };
}

function usernameTaken() {
  return oauthError('username_taken', 'that username is taken');
}
