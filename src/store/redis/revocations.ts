import type { BaseLogger } from 'pino';
import type { RevocationEntry, RevocationListener, RevocationStore } from '../types.js';
import type { Durable, Guard } from './commands.js';
import type { StoreConnection } from './connection.js';
import type { RedisKeys } from './keys.js';
import { parseRevocationMessage, type RevocationLog } from './revocation-log.js';

/**
 * How often a subscriber compares the log's counter with the messages it received. A shortfall must be seen twice
 * (a message may be in flight), so a lost message is found within about two intervals: well within a second.
 */
const FEED_CHECK_INTERVAL_MS = 250;

/**
 * The denylists in Redis: one key per revoked jti or ended sid (expiring with the tokens it can match),
 * a log of live entries sorted by expiry, and a channel for instances that keep them in memory.
 */
export class RedisRevocations implements RevocationStore {
  /** The log's counter as of the last snapshot, and the messages received since: what the counter should read. */
  #baseline = 0;
  #received = 0;

  constructor(
    private readonly guard: Guard,
    private readonly connection: StoreConnection,
    private readonly keys: RedisKeys,
    private readonly log: RevocationLog,
    private readonly logger: BaseLogger,
    private readonly durable: Durable,
  ) {}

  revokeAccessToken(jti: string, ttlSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    // Sent together: the denylist key for direct checks, the log and the message for mirrors (revocation-log.ts).
    return this.guard(async () => {
      const key = this.keys.revokedJti(jti);
      await Promise.all([this.durable([key], () => this.connection.client.set(key, '1', { EX: ttl })), this.log.record([`jti:${jti}`], ttl)]);
    });
  }

  isRevoked(token: { jti: string; sid?: string | undefined }): Promise<boolean> {
    const keys = [this.keys.revokedJti(token.jti)];
    if (token.sid !== undefined) keys.push(this.keys.revokedSid(token.sid));
    const client = this.connection.client;
    // One EXISTS for both keys, except on a cluster, where the jti's and the sid's entries live in different slots.
    if (this.connection.topology !== 'cluster') return this.guard(async () => (await client.exists(keys)) > 0);
    return this.guard(async () => (await Promise.all(keys.map((key) => client.exists(key)))).some((found) => found > 0));
  }

  snapshot(): Promise<RevocationEntry[]> {
    return this.guard(async () => {
      const { entries, sequence } = await this.log.read();
      this.#baseline = sequence;
      this.#received = 0;
      return entries;
    });
  }

  /**
   * Subscribes to the feed. Besides the connection's own signals, the subscriber compares the log's counter with
   * the messages it received every FEED_CHECK_INTERVAL_MS: a shortfall that stays (a message lost in a failover or
   * while a slot moved) makes the listener go down and up again, which takes a fresh snapshot.
   */
  async subscribe(listener: RevocationListener): Promise<() => Promise<void>> {
    const channelListener = {
      message: (message: string) => {
        this.#received += 1;
        const entry = parseRevocationMessage(message);
        if (entry) listener.entry(entry);
      },
      down: () => listener.down(),
      up: () => listener.up(),
    };
    const subscribe = () => this.guard(() => this.connection.subscribe(this.log.channel, channelListener));
    let subscription = await subscribe();
    let closed = false;
    listener.up();
    // A subscription that lost messages is replaced: on a cluster the shard channel may have stayed behind on a node
    // that no longer serves its slot.
    const resubscribe = async () => {
      await subscription.close().catch(() => undefined);
      if (!closed) subscription = await subscribe();
    };
    const check = this.#checker(listener, resubscribe);
    const timer = setInterval(() => void check(), FEED_CHECK_INTERVAL_MS);
    timer.unref();
    return async () => {
      closed = true;
      clearInterval(timer);
      await subscription.close();
    };
  }

  #checker(listener: RevocationListener, resubscribe: () => Promise<void>): () => Promise<void> {
    let lastShortfall = 0;
    let unreachable = false;
    let busy = false;
    return async () => {
      if (busy) return;
      busy = true;
      try {
        let shortfall: number;
        try {
          shortfall = (await this.guard(() => this.log.sequence())) - (this.#baseline + this.#received);
        } catch {
          if (!unreachable) listener.down();
          unreachable = true;
          return;
        }
        // A difference seen twice in a row is no message still in flight.
        const missed = shortfall !== 0 && shortfall === lastShortfall;
        lastShortfall = shortfall;
        if (!unreachable && !missed) return;
        listener.down();
        if (missed) {
          this.logger.warn({ missed: shortfall }, 'revocation feed missed messages; subscribing again and taking a fresh snapshot');
          await resubscribe();
        }
        unreachable = false;
        lastShortfall = 0;
        listener.up();
      } catch {
        // The next check tries again; until then the listener is down and checks go to the store.
      } finally {
        busy = false;
      }
    };
  }
}
