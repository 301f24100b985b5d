import { EventEmitter } from 'node:events';
import type { RevocationEntry, RevocationStore } from '../store/types.js';
import { RevocationLists } from '@tokensmith/verifier/shared';

/** The logging the cache needs. */
interface WarnLogger {
  warn(details: object, message: string): void;
}

/** How long to wait before taking a snapshot again after one failed. */
const RESYNC_DELAY_MS = 1000;
/** How often expired entries are dropped. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * This instance's copy of the revocation lists, kept current by the store's feed (Redis pub/sub, so
 * revocations made on any instance arrive within milliseconds). While `live`, a token can be checked
 * without a store round trip; when the subscription drops it is not live until a fresh snapshot is in.
 * Emits 'entry' for each new revocation, 'up' when it becomes live and 'down' when it stops being live.
 */
export class RevocationCache extends EventEmitter {
  readonly #lists = new RevocationLists();
  readonly #store: RevocationStore;
  readonly #logger: WarnLogger;
  readonly #clock: () => number;
  #live = false;
  #generation = 0;
  #unsubscribe: (() => Promise<void>) | undefined;
  #timers = new Set<NodeJS.Timeout>();

  constructor(store: RevocationStore, logger: WarnLogger, clock: () => number = Date.now) {
    super();
    this.#store = store;
    this.#logger = logger;
    this.#clock = clock;
  }

  /** Whether every revocation up to now is known here. */
  get live(): boolean {
    return this.#live;
  }

  /** Subscribes to the feed and takes the first snapshot; a failure leaves the cache not live and retrying. */
  async start(): Promise<void> {
    const prune = setInterval(() => this.#prune(), PRUNE_INTERVAL_MS);
    prune.unref();
    this.#timers.add(prune);
    try {
      this.#unsubscribe = await this.#store.subscribe({
        entry: (entry) => this.#add(entry),
        up: () => void this.#resync(),
        down: () => this.#setLive(false),
      });
    } catch (error) {
      this.#logger.warn({ err: (error as Error).message }, 'revocation feed unavailable; checks go to the store');
      this.#later(() => void this.start());
    }
  }

  /** Whether a token's jti or sid is revoked, by this copy alone. */
  has(token: { jti: string; sid?: string | undefined }): boolean {
    return this.#lists.has(token, this.#now());
  }

  /** Every entry that has not expired. */
  entries(): RevocationEntry[] {
    return this.#lists.entries(this.#now());
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    this.#generation += 1;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#setLive(false);
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async #resync(): Promise<void> {
    const generation = ++this.#generation;
    try {
      const entries = await this.#store.snapshot();
      if (generation !== this.#generation) return;
      for (const entry of entries) this.#add(entry);
      this.#setLive(true);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#logger.warn({ err: (error as Error).message }, 'revocation snapshot failed; retrying');
      this.#later(() => void this.#resync());
    }
  }

  #add(entry: RevocationEntry): void {
    if (this.#lists.add(entry)) this.emit('entry', entry);
  }

  #setLive(live: boolean): void {
    if (this.#live === live) return;
    this.#live = live;
    if (!live) this.#generation += 1;
    this.emit(live ? 'up' : 'down');
  }

  #later(task: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      task();
    }, RESYNC_DELAY_MS);
    timer.unref();
    this.#timers.add(timer);
  }

  #prune(): void {
    this.#lists.prune(this.#now());
  }

  #now(): number {
    return Math.floor(this.#clock() / 1000);
  }
}
