import { CLIENT_ID_HOLD_SECONDS, type ClientRecord, type ClientStore } from '../types.js';
import type { Durable, Guard } from './commands.js';
import type { RedisKeys } from './keys.js';
import { RedisVersionedSet } from './versioned-set.js';

/** Runtime clients in Redis: a versioned set (one hash of JSON records and a version counter), in one slot on a cluster. */
export class RedisClients implements ClientStore {
  readonly #set: RedisVersionedSet;

  constructor(guard: Guard, client: ConstructorParameters<typeof RedisVersionedSet>[1], keys: RedisKeys, durable: Durable) {
    const setKeys = { records: keys.clients, version: keys.clientsVersion, hold: keys.clientIdHold };
    this.#set = new RedisVersionedSet(guard, client, setKeys, durable, CLIENT_ID_HOLD_SECONDS * 1000);
  }

  async all(): Promise<{ version: number; clients: ClientRecord[] }> {
    const { version, records } = await this.#set.all();
    return { version, clients: records.map((json) => JSON.parse(json) as ClientRecord) };
  }

  version(): Promise<number> {
    return this.#set.version();
  }

  async create(record: ClientRecord): Promise<'created' | 'taken' | 'held'> {
    const outcome = await this.#set.put(record.entry.client_id as string, JSON.stringify(record), 'create');
    return outcome === 1 ? 'created' : outcome === 2 ? 'held' : 'taken';
  }

  async replace(record: ClientRecord): Promise<boolean> {
    return (await this.#set.put(record.entry.client_id as string, JSON.stringify(record), 'replace')) === 1;
  }

  delete(clientId: string): Promise<boolean> {
    return this.#set.delete(clientId);
  }
}
