/** How often the master's replicas are counted. */
const POLL_MS = 250;

/**
 * How long a master must keep fewer replicas online before writes stop waiting for the missing ones. Longer than the
 * moments of a Sentinel failover in which a demoted master still has a replica that the sentinels have not moved yet
 * (about a second: they move it once they see the promotion), shorter than a tolerable write outage when a replica
 * is lost for good.
 */
export const SHRINK_AFTER_MS = 5000;

/** The replicas in sync with the master (`state=online`) in an INFO replication reply. */
export function onlineReplicas(info: string): number {
  return info.split('\n').filter((line) => /^slave\d+:.*\bstate=online\b/.test(line)).length;
}

/**
 * How many replicas a write on a Sentinel master must reach before it is acknowledged: every replica the master has
 * been seen to keep online, not only REDIS_WAIT_REPLICAS. Replication is asynchronous and a forced failover leaves
 * the old master taking writes until the client finds the new one; meanwhile the old master's other replicas still
 * follow it and acknowledge what they will drop when the sentinels move them to the new master (a full resync).
 * Waiting for all of them makes every write that reaches the old master after one of its replicas was promoted fail
 * (503, retried on the new master) instead of being acknowledged and lost. A new master starts with nothing known, so
 * the minimum applies there and writes resume as soon as one replica follows it, without waiting for the old master,
 * which the sentinels convert only seconds later. A replica that stays gone for SHRINK_AFTER_MS stops being waited for.
 */
export class ReplicaWatch {
  #epoch: number;
  #expected = 0;
  #shortSince: number | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(
    /** Which master the client writes to now, as a value that changes with it. */
    private readonly masterEpoch: () => number,
    /** INFO replication of the current master. */
    private readonly info: () => Promise<string>,
    private readonly clock: () => number = Date.now,
  ) {
    this.#epoch = masterEpoch();
    this.#timer = setInterval(() => void this.poll(), POLL_MS).unref();
  }

  /** How many replicas a write must reach now: the known replicas of the current master, at least `minimum`. */
  required(minimum: number): number {
    this.#follow();
    return Math.max(minimum, this.#expected);
  }

  /** Counts the current master's replicas once (every POLL_MS by itself); a failed count changes nothing. */
  async poll(): Promise<void> {
    this.#follow();
    const epoch = this.#epoch;
    let online: number;
    try {
      online = onlineReplicas(await this.info());
    } catch {
      return;
    }
    // A count that straddled a failover may be the old master's.
    if (this.masterEpoch() !== epoch) return;
    const now = this.clock();
    if (online >= this.#expected) {
      this.#expected = online;
      this.#shortSince = undefined;
    } else if (this.#shortSince === undefined) {
      this.#shortSince = now;
    } else if (now - this.#shortSince >= SHRINK_AFTER_MS) {
      this.#expected = online;
      this.#shortSince = undefined;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** A new master: nothing is known of its replicas yet. */
  #follow(): void {
    const epoch = this.masterEpoch();
    if (epoch === this.#epoch) return;
    this.#epoch = epoch;
    this.#expected = 0;
    this.#shortSince = undefined;
  }
}
