import type { BaseLogger } from 'pino';

/** How often each instance asks the store whether a versioned set changed: a change is seen everywhere within a second. */
export const STORE_POLL_MS = 500;

/** A versioned set in the store, as a sync reads it. */
export interface VersionedSource<Records> {
  /** The current version; one cheap read. */
  version(): Promise<number>;
  /** Every record, with the version they are as of. */
  read(): Promise<{ version: number; records: Records }>;
}

/**
 * Keeps this instance's copy of a versioned set in the store (runtime clients, runtime providers) current: polls the
 * version every STORE_POLL_MS and reads the whole set when it moved. `refresh()` checks at once (after an admin change
 * here, or when a request names something this instance does not know). A store that cannot answer keeps the copy.
 */
export class StoreSync<Records> {
  #version: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #failing = false;

  constructor(
    private readonly source: VersionedSource<Records>,
    private readonly apply: (records: Records) => void,
    private readonly logger: Pick<BaseLogger, 'info' | 'error'>,
    /** What the set holds, for log lines ("runtime clients"). */
    private readonly what: string,
  ) {}

  /** Reads the set once (a store that cannot answer yet is retried by the poll), then polls. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), STORE_POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Brings the copy up to the store's version; concurrent calls share one check. Never rejects. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.#check().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #check(): Promise<void> {
    try {
      if ((await this.source.version()) === this.#version) return;
      const { version, records } = await this.source.read();
      this.apply(records);
      this.#version = version;
      if (this.#failing) this.logger.info(`${this.what} read again from the store`);
      this.#failing = false;
    } catch (error) {
      // Keeps what it has: a store outage must not make every runtime record unknown.
      if (!this.#failing) this.logger.error({ err: (error as Error).message }, `${this.what} not read from the store; keeping the ones known`);
      this.#failing = true;
    }
  }
}
