import { PROVIDER_ID_HOLD_SECONDS, type ProviderRecord, type ProviderStore } from '../types.js';
import type { Durable, Guard } from './commands.js';
import type { RedisKeys } from './keys.js';
import { RedisVersionedSet } from './versioned-set.js';

/** Runtime upstream providers in Redis: a versioned set, as runtime clients are, in a slot of its own on a cluster. */
export class RedisProviders implements ProviderStore {
  readonly #set: RedisVersionedSet;

  constructor(guard: Guard, client: ConstructorParameters<typeof RedisVersionedSet>[1], keys: RedisKeys, durable: Durable) {
    const setKeys = { records: keys.providers, version: keys.providersVersion, hold: keys.providerIdHold };
    this.#set = new RedisVersionedSet(guard, client, setKeys, durable, PROVIDER_ID_HOLD_SECONDS * 1000);
  }

  async all(): Promise<{ version: number; providers: ProviderRecord[] }> {
    const { version, records } = await this.#set.all();
    return { version, providers: records.map((json) => JSON.parse(json) as ProviderRecord) };
  }

  version(): Promise<number> {
    return this.#set.version();
  }

  async create(record: ProviderRecord): Promise<'created' | 'taken' | 'held'> {
    const outcome = await this.#set.put(String(record.entry.id), JSON.stringify(record), 'create');
    return outcome === 1 ? 'created' : outcome === 2 ? 'held' : 'taken';
  }

  async replace(record: ProviderRecord): Promise<boolean> {
    return (await this.#set.put(String(record.entry.id), JSON.stringify(record), 'replace')) === 1;
  }

  delete(id: string): Promise<boolean> {
    return this.#set.delete(id);
  }
}
