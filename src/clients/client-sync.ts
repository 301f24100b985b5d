import type { BaseLogger } from 'pino';
import type { ClientRecord, ClientStore } from '../store/types.js';
import type { Client } from './client.js';
import { EntryError, parseClientEntry, parseSecretHash, type ClientRegistry } from './registry.js';
import { StoreSync } from '../store/store-sync.js';

/** A stored client record as the registry holds it; an EntryError when the record is not a valid entry. */
export function clientFromRecord(record: ClientRecord, defaultAudience: string): Client {
  const client = parseClientEntry(record.entry, defaultAudience, 'store');
  const previous =
    record.previousSecretHash === undefined || record.previousSecretUntil === undefined
      ? undefined
      : { hash: parseSecretHash(record.previousSecretHash), until: record.previousSecretUntil };
  return { ...client, createdAt: record.createdAt, selfRegistered: record.registration !== undefined, previousSecret: previous };
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
 * Keeps the registry's store clients current on this instance (StoreSync: a change on any instance is seen within a
 * second; `refresh()` when a request names a client this instance does not know, so one created elsewhere works at once).
 */
export class ClientSync extends StoreSync<ClientRecord[]> {
  constructor(store: ClientStore, registry: ClientRegistry, defaultAudience: string, logger: Pick<BaseLogger, 'info' | 'error'>) {
    const read = async () => {
      const { version, clients } = await store.all();
      return { version, records: clients };
    };
    super(
      { version: () => store.version(), read },
      (records) => {
        const valid = validClients(records, defaultAudience, (record, reason) =>
          logger.error({ client_id: String(record.entry.client_id).slice(0, 128), reason }, 'a stored client is invalid; it is ignored'),
        );
        registry.replaceStoreClients(valid.map(({ client }) => client));
      },
      logger,
      'runtime clients',
    );
  }
}
