import type { SessionRecord, SessionStore, Store, UserRecord, UserStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

const SWEEP_INTERVAL_MS = 60_000;

class MemoryUsers implements UserStore {
  readonly #byId = new Map<string, UserRecord>();
  readonly #idByKey = new Map<string, string>();

  async create(user: UserRecord): Promise<boolean> {
    if (this.#idByKey.has(user.usernameKey)) return false;
    this.#idByKey.set(user.usernameKey, user.id);
    this.#byId.set(user.id, { ...user });
    return true;
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const user = this.#byId.get(id);
    return user && { ...user };
  }

  async findByUsernameKey(usernameKey: string): Promise<UserRecord | undefined> {
    const id = this.#idByKey.get(usernameKey);
    return id === undefined ? undefined : this.findById(id);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const user = this.#byId.get(id);
    if (!user) return false;
    user.passwordHash = passwordHash;
    return true;
  }
}

class MemorySessions implements SessionStore {
  readonly #sessions: ExpiringMap<SessionRecord>;

  constructor(sessions: ExpiringMap<SessionRecord>) {
    this.#sessions = sessions;
  }

  async create(session: SessionRecord, ttlSeconds: number): Promise<void> {
    this.#sessions.set(session.sid, { ...session }, ttlSeconds * 1000);
  }

  async get(sid: string): Promise<SessionRecord | undefined> {
    const session = this.#sessions.get(sid);
    return session && { ...session };
  }
}

/** The embedded store: state lives in this process only, is lost on restart and is not shared between instances. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly users: UserStore = new MemoryUsers();
  readonly sessions: SessionStore;
  readonly #expiring: ExpiringMap<SessionRecord>;
  readonly #sweeper: NodeJS.Timeout;

  constructor(clock: () => number = Date.now) {
    this.#expiring = new ExpiringMap(clock);
    this.sessions = new MemorySessions(this.#expiring);
    this.#sweeper = setInterval(() => this.#expiring.sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }
}
