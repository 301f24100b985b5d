import { RevocationLists } from './shared/revocation-lists.js';
import { readEvents } from './sse.js';

/** Longest wait between reconnection attempts. */
const MAX_BACKOFF_MS = 30_000;
/** How often, at most, entries past their exp are dropped: when an event arrives, so no timer outlives the feed. */
const PRUNE_INTERVAL_S = 60;

/** How to reach and authenticate to the service's revocation feed. */
export interface RevocationFeedOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; tests move it. */
  clock?: () => number;
}

/**
 * A subscriber to GET /oauth/revocations: keeps the revoked jtis and sids in memory, so that a
 * revoked token is refused within about a second without a call per request. `ready` is true
 * only between the stream's `ready` event and its end; then it reconnects with backoff.
 */
export class RevocationFeed {
  readonly #options: RevocationFeedOptions;
  readonly #revoked = new RevocationLists();
  readonly #abort = new AbortController();
  #ready = false;
  #retryMs = 2000;
  #failures = 0;
  #readyWaiters: Array<() => void> = [];
  #prunedAt = 0;

  constructor(options: RevocationFeedOptions) {
    this.#options = options;
    void this.#run();
  }

  /** Whether every revocation up to now is known here. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves once the feed is (or becomes) ready. */
  whenReady(): Promise<void> {
    return this.#ready ? Promise.resolve() : new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Whether the jti or sid is on a received revocation list and not expired. */
  has(jti: string, sid: string | undefined): boolean {
    return this.#revoked.has({ jti, sid }, this.#now());
  }

  /** How many revocations are held, expired ones included until an event at least PRUNE_INTERVAL_S after the last prune. */
  get size(): number {
    return this.#revoked.size;
  }

  /** Stops the subscription for good. */
  close(): void {
    this.#ready = false;
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      try {
        await this.#connectOnce();
        this.#failures = 0;
      } catch {
        this.#failures += 1;
      }
      this.#ready = false;
      if (this.#abort.signal.aborted) return;
      const delay = Math.min(this.#retryMs * 2 ** Math.min(this.#failures, 4), MAX_BACKOFF_MS);
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }

  async #connectOnce(): Promise<void> {
    const { url, clientId, clientSecret } = this.#options;
    const credentials = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const response = await (this.#options.fetch ?? fetch)(url, {
      headers: { authorization: `Basic ${credentials}`, accept: 'text/event-stream' },
      signal: this.#abort.signal,
    });
    if (response.status !== 200 || !response.body) throw new Error(`revocation feed answered ${response.status}`);
    for await (const event of readEvents(response.body)) {
      if (event.retry !== undefined) this.#retryMs = event.retry;
      if (event.event === 'revoked') this.#add(event.data);
      if (event.event === 'ready') this.#setReady();
    }
  }

  #add(data: string): void {
    try {
      const entry = JSON.parse(data) as { kind?: unknown; id?: unknown; exp?: unknown };
      if ((entry.kind === 'jti' || entry.kind === 'sid') && typeof entry.id === 'string' && typeof entry.exp === 'number') {
        this.#revoked.add({ kind: entry.kind, id: entry.id, exp: entry.exp });
        this.#pruneNow();
      }
    } catch {
      // a malformed event is skipped; the next snapshot is complete again
    }
  }

  #pruneNow(): void {
    const now = this.#now();
    if (now - this.#prunedAt < PRUNE_INTERVAL_S) return;
    this.#revoked.prune(now);
    this.#prunedAt = now;
  }

  #now(): number {
    return Math.floor((this.#options.clock ?? Date.now)() / 1000);
  }

  #setReady(): void {
    this.#ready = true;
    for (const resolve of this.#readyWaiters.splice(0)) resolve();
  }
}
