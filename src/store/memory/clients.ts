import { CLIENT_ID_HOLD_SECONDS, type ClientRecord, type ClientStore } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

const clientIdOf = (record: ClientRecord) => record.entry.client_id as string;

/** Runtime clients in process memory. */
export class MemoryClients implements ClientStore {
  readonly #clients = new Map<string, string>();
  readonly #held: ExpiringMap<true>;
  #version = 0;

  constructor(clock: () => number = Date.now) {
    this.#held = new ExpiringMap(clock);
  }

  async all(): Promise<{ version: number; clients: ClientRecord[] }> {
    return { version: this.#version, clients: [...this.#clients.values()].map((json) => JSON.parse(json) as ClientRecord) };
  }

  async version(): Promise<number> {
    return this.#version;
  }

  async create(record: ClientRecord): Promise<'created' | 'taken' | 'held'> {
    if (this.#clients.has(clientIdOf(record))) return 'taken';
    if (this.#held.has(clientIdOf(record))) return 'held';
    this.#write(record);
    return 'created';
  }

  async replace(record: ClientRecord): Promise<boolean> {
    if (!this.#clients.has(clientIdOf(record))) return false;
    return this.#write(record);
  }

  async delete(clientId: string): Promise<boolean> {
    if (!this.#clients.delete(clientId)) return false;
    this.#held.set(clientId, true, CLIENT_ID_HOLD_SECONDS * 1000);
    this.#version += 1;
    return true;
  }

  #write(record: ClientRecord): boolean {
    // Stored serialized, as Redis stores it: a record handed in and changed later changes nothing here.
    this.#clients.set(clientIdOf(record), JSON.stringify(record));
    this.#version += 1;
    return true;
  }
}
