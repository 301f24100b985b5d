/**
 * The storage contract. Every adapter (Redis, in-memory) implements it and passes the same
 * contract suite (test/store/contract.ts), as node-oidc-provider runs one suite against every adapter.
 * Records handed in or out are copies: changing one never changes what is stored.
 */

/** A user account. */
export interface UserRecord {
  id: string;
  /** The username as registered, NFKC-normalized. */
  username: string;
  /** The case-folded form that makes usernames unique. */
  usernameKey: string;
  /** An argon2id PHC string. */
  passwordHash: string;
  /** Epoch seconds. */
  createdAt: number;
  disabled: boolean;
}

/** Users, unique by usernameKey. */
export interface UserStore {
  /** Stores a new user; false (and nothing stored) when the usernameKey is taken. */
  create(user: UserRecord): Promise<boolean>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByUsernameKey(usernameKey: string): Promise<UserRecord | undefined>;
  /** Replaces a user's password hash; false when there is no such user. */
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>;
}

/** A login session: the family of tokens one login started. */
export interface SessionRecord {
  sid: string;
  userId: string;
  clientId: string;
  scope: string;
  /** Epoch seconds. */
  createdAt: number;
  userAgent: string;
  ip: string;
}

/** Sessions, each with an expiry after which it is gone, as in Redis. */
export interface SessionStore {
  create(session: SessionRecord, ttlSeconds: number): Promise<void>;
  get(sid: string): Promise<SessionRecord | undefined>;
}

/** All of the service's state. */
export interface Store {
  readonly kind: 'redis' | 'memory';
  readonly users: UserStore;
  readonly sessions: SessionStore;
  /** Resolves while the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
