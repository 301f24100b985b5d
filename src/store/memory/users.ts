import type { UserQuery, UserRecord, UserStore } from '../types.js';

/** Users in process memory. */
export class MemoryUsers implements UserStore {
  readonly #byId = new Map<string, UserRecord>();
  readonly #idByKey = new Map<string, string>();

  async create(user: UserRecord): Promise<boolean> {
    if (this.#idByKey.has(user.usernameKey)) return false;
    this.#idByKey.set(user.usernameKey, user.id);
    this.#byId.set(user.id, { ...user });
    return true;
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    return this.peek(id) && { ...this.peek(id)! };
  }

  async findByUsernameKey(usernameKey: string): Promise<UserRecord | undefined> {
    const id = this.#idByKey.get(usernameKey);
    return id === undefined ? undefined : this.findById(id);
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
    const users = keys.map((key) => ({ ...this.#byId.get(this.#idByKey.get(key)!)! }));
    return { users, last: keys.length === query.limit ? keys.at(-1) : undefined };
  }

  async delete(id: string): Promise<UserRecord | undefined> {
    const user = this.#byId.get(id);
    if (!user) return undefined;
    this.#byId.delete(id);
    if (this.#idByKey.get(user.usernameKey) === id) this.#idByKey.delete(user.usernameKey);
    return { ...user };
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

/** Redis's order of the keys (ZRANGE BYLEX compares bytes): the order of their UTF-8, which is code point order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
