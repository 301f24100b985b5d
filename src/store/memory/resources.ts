import { RESOURCE_HOLD_SECONDS, type ResourceRecord, type ResourceStore } from '../types.js';
import { MemoryVersionedSet } from './versioned-set.js';

/** Runtime protected resources in process memory. */
export class MemoryResources implements ResourceStore {
  readonly #set: MemoryVersionedSet;

  constructor(clock: () => number = Date.now) {
    this.#set = new MemoryVersionedSet(RESOURCE_HOLD_SECONDS * 1000, clock);
  }

  async all(): Promise<{ version: number; resources: ResourceRecord[] }> {
    const { version, records } = this.#set.all();
    return { version, resources: records.map((json) => JSON.parse(json) as ResourceRecord) };
  }

  async version(): Promise<number> {
    return this.#set.version();
  }

  async create(record: ResourceRecord): Promise<'created' | 'taken' | 'held'> {
    const outcome = this.#set.put(String(record.entry.resource), JSON.stringify(record), 'create');
    return outcome === 1 ? 'created' : outcome === 2 ? 'held' : 'taken';
  }

  async replace(record: ResourceRecord): Promise<boolean> {
    return this.#set.put(String(record.entry.resource), JSON.stringify(record), 'replace') === 1;
  }

  async delete(identifier: string): Promise<boolean> {
    return this.#set.delete(identifier);
  }
}
