import type { BaseLogger } from 'pino';
import { StoreSync } from '../store/store-sync.js';
import type { ResourceRecord, ResourceStore } from '../store/types.js';
import { parseResourceEntry, ResourceEntryError } from './protected-resource.js';
import type { ResourceRegistry, StoredResource } from './resource-registry.js';

/** The resource a stored record makes; a ResourceEntryError when it is no longer a valid entry. */
export function resourceFromRecord(record: ResourceRecord): StoredResource {
  return { ...parseResourceEntry(record.entry), createdAt: record.createdAt, updatedAt: record.updatedAt };
}

/** Keeps the registry's runtime resources current on this instance: a change on any instance holds within a second. */
export class ResourceSync extends StoreSync<ResourceRecord[]> {
  constructor(store: ResourceStore, registry: ResourceRegistry, logger: Pick<BaseLogger, 'info' | 'error'>) {
    const read = async () => {
      const { version, resources } = await store.all();
      return { version, records: resources };
    };
    super(
      { version: () => store.version(), read },
      (records) => {
        const valid = records.flatMap((record) => {
          try {
            return [resourceFromRecord(record)];
          } catch (error) {
            if (!(error instanceof ResourceEntryError)) throw error;
            logger.error({ resource: String(record.entry.resource).slice(0, 256), reason: error.message }, 'a stored resource is invalid; it is ignored');
            return [];
          }
        });
        registry.replaceStoredResources(valid);
      },
      logger,
      'runtime resources',
    );
  }
}
