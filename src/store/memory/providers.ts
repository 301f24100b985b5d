import { PROVIDER_ID_HOLD_SECONDS, type ProviderRecord, type ProviderStore } from '../types.js';
import { MemoryVersionedSet } from './versioned-set.js';

/** Runtime upstream providers in process memory. */
export class MemoryProviders implements ProviderStore {
  readonly #set: MemoryVersionedSet;

  constructor(clock: () => number = Date.now) {
    this.#set = new MemoryVersionedSet(PROVIDER_ID_HOLD_SECONDS * 1000, clock);
  }

  async all(): Promise<{ version: number; providers: ProviderRecord[] }> {
    const { version, records } = this.#set.all();
    return { version, providers: records.map((json) => JSON.parse(json) as ProviderRecord) };
  }

  async version(): Promise<number> {
    return this.#set.version();
  }

  async create(record: ProviderRecord): Promise<'created' | 'taken' | 'held'> {
    const outcome = this.#set.put(String(record.entry.id), JSON.stringify(record), 'create');
    return outcome === 1 ? 'created' : outcome === 2 ? 'held' : 'taken';
  }

  async replace(record: ProviderRecord): Promise<boolean> {
    return this.#set.put(String(record.entry.id), JSON.stringify(record), 'replace') === 1;
  }

  async delete(id: string): Promise<boolean> {
    return this.#set.delete(id);
  }
}
