import { CLIENT_ID_HOLD_SECONDS, type ClientRecord, type ClientStore } from '../types.js';
import { MemoryVersionedSet } from './versioned-set.js';

/** Runtime clients in process memory. */
export class MemoryClients implements ClientStore {
  readonly #set: MemoryVersionedSet;

  constructor(clock: () => number = Date.now) {
    this.#set = new MemoryVersionedSet(CLIENT_ID_HOLD_SECONDS * 1000, clock);
  }

  async all(): Promise<{ version: number; clients: ClientRecord[] }> {
    const { version, records } = this.#set.all();
    return { version, clients: records.map((json) => JSON.parse(json) as ClientRecord) };
  }

  async version(): Promise<number> {
    return this.#set.version();
  }

  async create(record: ClientRecord): Promise<'created' | 'taken' | 'held'> {
    const outcome = this.#set.put(record.entry.client_id as string, JSON.stringify(record), 'create');
    return outcome === 1 ? 'created' : outcome === 2 ? 'held' : 'taken';
  }

  async replace(record: ClientRecord): Promise<boolean> {
    return this.#set.put(record.entry.client_id as string, JSON.stringify(record), 'replace') === 1;
  }

  async delete(clientId: string): Promise<boolean> {
    return this.#set.delete(clientId);
  }
}
