import type { ClientRecord, ClientStore } from '../types.js';

const clientIdOf = (record: ClientRecord) => record.entry.client_id as string;

/** Runtime clients in process memory. */
export class MemoryClients implements ClientStore {
  readonly #clients = new Map<string, string>();
  #version = 0;

  async all(): Promise<{ version: number; clients: ClientRecord[] }> {
    return { version: this.#version, clients: [...this.#clients.values()].map((json) => JSON.parse(json) as ClientRecord) };
  }

  async version(): Promise<number> {
    return this.#version;
  }

  async create(record: ClientRecord): Promise<boolean> {
    if (this.#clients.has(clientIdOf(record))) return false;
    return this.#write(record);
  }

  async replace(record: ClientRecord): Promise<boolean> {
    if (!this.#clients.has(clientIdOf(record))) return false;
    return this.#write(record);
  }

  async delete(clientId: string): Promise<boolean> {
    if (!this.#clients.delete(clientId)) return false;
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
