/** One denylist entry: a revoked jti or an ended session's sid, and when it stops mattering (epoch seconds). */
export interface RevocationEntry {
  kind: 'jti' | 'sid';
  id: string;
  exp: number;
}

/**
 * Revoked jtis and sids held in memory, each until its exp (epoch seconds): the service's mirror of the
 * store's lists and the verifier library's copy of the feed both keep them here.
 */
export class RevocationLists {
  readonly #lists: Record<RevocationEntry['kind'], Map<string, number>> = { jti: new Map(), sid: new Map() };

  /** Records an entry; false when the list already held it at least as long. */
  add(entry: RevocationEntry): boolean {
    const list = this.#lists[entry.kind];
    if ((list.get(entry.id) ?? 0) >= entry.exp) return false;
    list.set(entry.id, entry.exp);
    return true;
  }

  /** Whether a token's jti or sid is listed and its entry has not expired at `now`. */
  has(token: { jti: string; sid?: string | undefined }, now: number): boolean {
    const live = (list: Map<string, number>, id: string | undefined) => id !== undefined && (list.get(id) ?? 0) > now;
    return live(this.#lists.jti, token.jti) || live(this.#lists.sid, token.sid);
  }

  /** Every entry that has not expired at `now`. */
  entries(now: number): RevocationEntry[] {
    const result: RevocationEntry[] = [];
    for (const kind of ['jti', 'sid'] as const) for (const [id, exp] of this.#lists[kind]) if (exp > now) result.push({ kind, id, exp });
    return result;
  }

  /** How many entries are held, expired ones included until the next prune. */
  get size(): number {
    return this.#lists.jti.size + this.#lists.sid.size;
  }

  /** Drops the entries that have expired at `now`. */
  prune(now: number): void {
    for (const list of Object.values(this.#lists)) for (const [id, exp] of list) if (exp <= now) list.delete(id);
  }
}
