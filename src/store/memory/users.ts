import type { UserCreation, UserEmail, UserQuery, UserRecord, UserStore } from '../types.js';

/** Users in process memory. */
export class MemoryUsers implements UserStore {
  readonly #byId = new Map<string, UserRecord>();
  readonly #idByKey = new Map<string, string>();
  readonly #idByEmailKey = new Map<string, string>();

  async create(user: UserRecord): Promise<UserCreation> {
    if (this.#idByKey.has(user.usernameKey)) return 'username_taken';
    if (user.email && this.#idByEmailKey.has(user.email.key)) return 'email_taken';
    this.#idByKey.set(user.usernameKey, user.id);
    if (user.email) this.#idByEmailKey.set(user.email.key, user.id);
    this.#byId.set(user.id, copy(user));
    return 'created';
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const user = this.peek(id);
    return user && copy(user);
  }

  async findByUsernameKey(usernameKey: string): Promise<UserRecord | undefined> {
    const id = this.#idByKey.get(usernameKey);
    return id === undefined ? undefined : this.findById(id);
  }

  async findByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    const id = this.#idByEmailKey.get(emailKey);
    return id === undefined ? undefined : this.findById(id);
  }

  async setEmail(id: string, email: UserEmail | undefined): Promise<'set' | 'taken' | 'missing'> {
    const user = this.#byId.get(id);
    if (!user) return 'missing';
    const owner = email && this.#idByEmailKey.get(email.key);
    if (owner !== undefined && owner !== id) return 'taken';
    if (user.email) this.#idByEmailKey.delete(user.email.key);
    if (email) this.#idByEmailKey.set(email.key, id);
    if (email) user.email = { ...email };
    else delete user.email;
    return 'set';
  }

  async markEmailVerified(id: string, emailKey: string): Promise<boolean> {
    const email = this.#byId.get(id)?.email;
    if (email?.key !== emailKey) return false;
    email.verified = true;
    return true;
  }

  async setPasswordHash(id: string, passwordHash: string, changedAt?: number): Promise<boolean> {
    return this.#update(id, changedAt === undefined ? { passwordHash } : { passwordHash, passwordChangedAt: changedAt });
  }

  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    return this.#update(id, { disabled });
  }

  async list(query: UserQuery): Promise<{ users: UserRecord[]; last: string | undefined }> {
    const keys = [...this.#idByKey.keys()]
      .filter((key) => key.startsWith(query.prefix) && (query.after === undefined || byteOrder(key, query.after) > 0))
      .sort(byteOrder)
      .slice(0, query.limit);
    const users = keys.map((key) => copy(this.#byId.get(this.#idByKey.get(key)!)!));
    return { users, last: keys.length === query.limit ? keys.at(-1) : undefined };
  }

  async delete(id: string): Promise<UserRecord | undefined> {
    const user = this.#byId.get(id);
    if (!user) return undefined;
    this.#byId.delete(id);
    if (this.#idByKey.get(user.usernameKey) === id) this.#idByKey.delete(user.usernameKey);
    if (user.email && this.#idByEmailKey.get(user.email.key) === id) this.#idByEmailKey.delete(user.email.key);
    return copy(user);
  }

  /** The stored record itself, for the session store's synchronous checks; never hand it out. */
  peek(id: string): Readonly<UserRecord> | undefined {
    return this.#byId.get(id);
  }

  #update(id: string, change: Partial<UserRecord>): boolean {
    const user = this.#byId.get(id);
    if (!user) return false;
    Object.assign(user, change);
    return true;
  }
}

/** A copy of a record, its address included: what is stored never changes through one handed out. */
function copy(user: Readonly<UserRecord>): UserRecord {
  return user.email ? { ...user, email: { ...user.email } } : { ...user };
}

/** Redis's order of the keys (ZRANGE BYLEX compares bytes): the order of their UTF-8, which is code point order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
