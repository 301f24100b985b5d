import type { RotationRequest, RotationResult, SessionOptions, SessionRecord, SessionStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';
import type { MemoryRevocations } from './revocations.js';
import type { MemoryUsers } from './users.js';

interface StoredSession extends SessionRecord {
  current: string;
  previous: string | undefined;
  rotatedAt: number;
  sealed: string;
  /** The current token's hash once it has been handed out (markDelivered). */
  delivered: string;
  passwordFailures: number;
}

function publicRecord(stored: StoredSession): SessionRecord {
  const {
    current: _current,
    previous: _previous,
    rotatedAt: _rotatedAt,
    sealed: _sealed,
    passwordFailures: _passwordFailures,
    delivered: _delivered,
    ...record
  } = stored;
  return record.amr === undefined ? record : { ...record, amr: [...record.amr] };
}

/**
 * Sessions in process memory, with the Redis store's semantics: the same expiries, and every method
 * runs without an await in its critical part, so each is atomic as a Lua script is in Redis.
 */
export class MemorySessions implements SessionStore {
  readonly #sessions: ExpiringMap<StoredSession>;
  readonly #refresh: ExpiringMap<string>;
  readonly #userSessions: ExpiringMap<Set<string>>;

  constructor(
    private readonly users: MemoryUsers,
    private readonly revocations: MemoryRevocations,
    private readonly clock: () => number,
  ) {
    this.#sessions = new ExpiringMap(clock);
    this.#refresh = new ExpiringMap(clock);
    this.#userSessions = new ExpiringMap(clock);
  }

  async create(session: SessionRecord, options: SessionOptions): Promise<void> {
    const left = Math.max(1, session.expiresAt * 1000 - this.clock());
    const stored: StoredSession = {
      ...session,
      ...(session.amr === undefined ? {} : { amr: [...session.amr] }),
      current: options.refreshTokenHash ?? '',
      previous: undefined,
      rotatedAt: 0,
      sealed: '',
      delivered: '',
      passwordFailures: 0,
    };
    this.#sessions.set(session.sid, stored, Math.min(left, options.idleTtl * 1000));
    const sids = this.#userSessions.get(session.userId) ?? new Set<string>();
    sids.add(session.sid);
    this.#userSessions.set(session.userId, sids, Math.max(left, this.#userSessions.ttl(session.userId) ?? 0));
    if (options.refreshTokenHash) this.#refresh.set(options.refreshTokenHash, session.sid, left);
  }

  async get(sid: string): Promise<SessionRecord | undefined> {
    const stored = this.#sessions.get(sid);
    return stored && publicRecord(stored);
  }

  async findByRefreshToken(tokenHash: string): Promise<{ session: SessionRecord; current: boolean } | undefined> {
    const sid = this.#refresh.get(tokenHash);
    const stored = sid === undefined ? undefined : this.#sessions.get(sid);
    return stored && { session: publicRecord(stored), current: stored.current === tokenHash };
  }

  async rotate(request: RotationRequest): Promise<RotationResult> {
    const now = this.clock();
    const sid = this.#refresh.get(request.tokenHash);
    const stored = sid === undefined ? undefined : this.#sessions.get(sid);
    if (!sid || !stored || stored.clientId !== request.clientId) return { outcome: 'invalid' };
    if (stored.dpopJkt !== undefined && stored.dpopJkt !== request.dpopJkt) return { outcome: 'wrong_key' };
    const user = this.users.peek(stored.userId);
    if (!user || user.disabled) {
      this.#revoke(sid, stored.userId, request.revokedTtl);
      return { outcome: 'inactive_user', sid };
    }
    const left = stored.expiresAt * 1000 - now;
    if (left <= 0) return { outcome: 'invalid' };
    const ttl = Math.min(left, request.idleTtl * 1000);
    if (request.tokenHash === stored.current) {
      Object.assign(stored, {
        previous: stored.current,
        current: request.newTokenHash,
        rotatedAt: now,
        sealed: request.sealedSuccessor,
        lastUsedAt: Math.floor(now / 1000),
      });
      this.#sessions.expire(sid, ttl);
      this.#refresh.set(request.newTokenHash, sid, left);
      return { outcome: 'rotated', session: publicRecord(stored) };
    }
    if (request.tokenHash === stored.previous && (now - stored.rotatedAt <= request.graceMs || stored.delivered !== stored.current)) {
      stored.lastUsedAt = Math.floor(now / 1000);
      this.#sessions.expire(sid, ttl);
      return { outcome: 'grace', session: publicRecord(stored), sealedSuccessor: stored.sealed, successorHash: stored.current };
    }
    this.#revoke(sid, stored.userId, request.revokedTtl);
    return { outcome: 'reused', sid, userId: stored.userId };
  }

  async listForUser(userId: string): Promise<SessionRecord[]> {
    const sids = this.#userSessions.get(userId) ?? new Set<string>();
    const sessions: SessionRecord[] = [];
    for (const sid of sids) {
      const stored = this.#sessions.get(sid);
      if (stored) sessions.push(publicRecord(stored));
      else sids.delete(sid);
    }
    return sessions.sort((a, b) => a.createdAt - b.createdAt || a.sid.localeCompare(b.sid));
  }

  async end(sid: string, revokedTtl: number): Promise<SessionRecord | undefined> {
    const stored = this.#sessions.get(sid);
    this.#revoke(sid, stored?.userId, revokedTtl);
    return stored && publicRecord(stored);
  }

  async endAllForUser(userId: string, revokedTtl: number, keepSid?: string): Promise<number> {
    let ended = 0;
    for (const sid of [...(this.#userSessions.get(userId) ?? [])]) {
      if (sid === keepSid) continue;
      if (this.#sessions.has(sid)) ended += 1;
      this.#revoke(sid, userId, revokedTtl);
    }
    return ended;
  }

  async markDelivered(sid: string, tokenHash: string): Promise<void> {
    const stored = this.#sessions.get(sid);
    if (stored?.current === tokenHash) stored.delivered = tokenHash;
  }

  async countPasswordFailure(sid: string): Promise<number> {
    const stored = this.#sessions.get(sid);
    if (!stored) return 0;
    stored.passwordFailures += 1;
    return stored.passwordFailures;
  }

  /** Drops expired entries of every map. */
  sweep(): void {
    for (const map of [this.#sessions, this.#refresh, this.#userSessions]) map.sweep();
  }

  #revoke(sid: string, userId: string | undefined, revokedTtl: number): void {
    this.#sessions.delete(sid);
    if (userId !== undefined) this.#userSessions.get(userId)?.delete(sid);
    this.revocations.revokeSession(sid, revokedTtl);
  }
}
