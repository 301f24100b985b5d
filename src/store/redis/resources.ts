import { RESOURCE_HOLD_SECONDS, type ResourceRecord, type ResourceStore } from '../types.js';
import type { Durable, Guard } from './commands.js';
import type { RedisKeys } from './keys.js';
import { RedisVersionedSet } from './versioned-set.js';

/** Runtime protected resources in Redis: a versioned set, as runtime clients and providers are, in a slot of its own on a cluster. */
export class RedisResources implements ResourceStore {
  readonly #set: RedisVersionedSet;

  constructor(guard: Guard, client: ConstructorParameters<typeof RedisVersionedSet>[1], keys: RedisKeys, durable: Durable) {
    const setKeys = { records: keys.resources, version: keys.resourcesVersion, hold: keys.resourceHold };
    this.#set = new RedisVersionedSet(guard, client, setKeys, durable, RESOURCE_HOLD_SECONDS * 1000);
  }

  async all(): Promise<{ version: number; resources: ResourceRecord[] }> {
    const { version, records } = await this.#set.all();
    return { version, resources: records.map((json) => JSON.parse(json) as ResourceRecord) };
  }

  version(): Promise<number> {
    return this.#set.version();
  }

  async create(record: ResourceRecord): Promise<'created' | 'taken' | 'held'> {
    const outcome = await this.#set.put(String(record.entry.resource), JSON.stringify(record), 'create');
    return outcome === 1 ? 'created' : outcome === 2 ? 'held' : 'taken';
  }

  async replace(record: ResourceRecord): Promise<boolean> {
    return (await this.#set.put(String(record.entry.resource), JSON.stringify(record), 'replace')) === 1;
  }

  delete(identifier: string): Promise<boolean> {
    return this.#set.delete(identifier);
  }
}
