import type { BaseLogger } from 'pino';
import type { ClientRecord, ClientStore } from '../store/types.js';
import type { Client } from './client.js';
import { EntryError, parseClientEntry, parseSecretHash, type ClientRegistry } from './registry.js';

/** How often each instance asks the store whether its clients changed: a change is seen everywhere within a second. */
export const CLIENT_POLL_MS = 500;

/** A stored client record as the registry holds it; an EntryError when the record is not a valid entry. */
export function clientFromRecord(record: ClientRecord, defaultAudience: string): Client {
  const client = parseClientEntry(record.entry, defaultAudience, 'store');
  const previous =
    record.previousSecretHash === undefined || record.previousSecretUntil === undefined
      ? undefined
      : { hash: parseSecretHash(record.previousSecretHash), until: record.previousSecretUntil };
  return { ...client, createdAt: record.createdAt, previousSecret: previous };
}

/** The stored records that are valid client entries, each with its client; `onInvalid` hears every other one and why. */
export function validClients(
  records: readonly ClientRecord[],
  defaultAudience: string,
  onInvalid: (record: ClientRecord, reason: string) => void,
): Array<{ record: ClientRecord; client: Client }> {
  return records.flatMap((record) => {
    try {
      return [{ record, client: clientFromRecord(record, defaultAudience) }];
    } catch (error) {
      if (!(error instanceof EntryError)) throw error;
      onInvalid(record, error.message);
      return [];
    }
  });
}

/**
 * Keeps the registry's store clients current on this instance: polls the store's version every CLIENT_POLL_MS and
 * reads the whole set when it moved. `refresh()` checks at once (after an admin change here, and when a request
 * names a client this instance does not know, so a client created on another instance works at once).
 */
export class ClientSync {
  #version: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #failing = false;

  constructor(
    private readonly store: ClientStore,
    private readonly registry: ClientRegistry,
    private readonly defaultAudience: string,
    private readonly logger: Pick<BaseLogger, 'info' | 'error'>,
  ) {}

  /** Reads the clients once (a store that cannot answer yet is retried by the poll), then polls. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), CLIENT_POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Brings the registry up to the store's version; concurrent calls share one check. Never rejects. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.#check().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #check(): Promise<void> {
    try {
      if ((await this.store.version()) === this.#version) return;
      const { version, clients } = await this.store.all();
      const valid = validClients(clients, this.defaultAudience, (record, reason) =>
        this.logger.error({ client_id: String(record.entry.client_id).slice(0, 128), reason }, 'a stored client is invalid; it is ignored'),
      );
      this.registry.replaceStoreClients(valid.map(({ client }) => client));
      this.#version = version;
      if (this.#failing) this.logger.info('runtime clients read again from the store');
      this.#failing = false;
    } catch (error) {
      // Keeps the clients it has: a store outage must not make every runtime client unknown.
      if (!this.#failing) this.logger.error({ err: (error as Error).message }, 'runtime clients not read from the store; keeping the ones known');
      this.#failing = true;
    }
  }
}
