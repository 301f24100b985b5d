import type { ClientRecord, ClientStore } from '../types.js';
import type { Durable, Guard, StoreClient } from './connection.js';
import type { RedisKeys } from './keys.js';
import { luaScript } from './lua.js';

// KEYS: clients hash, version counter. ARGV: client_id, JSON, mode ('create' | 'replace'). One step: the write and the
// version every instance polls move together, so no instance can see the new version without the new record.
const PUT_CLIENT = luaScript(`
local exists = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
if (ARGV[3] == 'create') == exists then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1`);

// KEYS: clients hash, version counter. ARGV: client_id.
const DELETE_CLIENT = luaScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
return 1`);

/** The client scripts, by the name the Redis client gives each. */
export const CLIENT_SCRIPTS = { putClient: PUT_CLIENT, deleteClient: DELETE_CLIENT };

/** Runtime clients in Redis: one hash of JSON records and a version counter, in one slot on a cluster. */
export class RedisClients implements ClientStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: StoreClient,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  all(): Promise<{ version: number; clients: ClientRecord[] }> {
    return this.guard(async () => {
      const version = await this.#version();
      const records = await this.client.hGetAll(this.keys.clients());
      return { version, clients: Object.values(records).map((json) => JSON.parse(json) as ClientRecord) };
    });
  }

  version(): Promise<number> {
    return this.guard(() => this.#version());
  }

  create(record: ClientRecord): Promise<boolean> {
    return this.#put(record, 'create');
  }

  replace(record: ClientRecord): Promise<boolean> {
    return this.#put(record, 'replace');
  }

  delete(clientId: string): Promise<boolean> {
    return this.guard(async () => {
      const keys = [this.keys.clients(), this.keys.clientsVersion()];
      return (await this.durable(keys, () => this.client.deleteClient(keys, [clientId]))) === 1;
    });
  }

  async #version(): Promise<number> {
    return Number((await this.client.get(this.keys.clientsVersion())) ?? 0);
  }

  #put(record: ClientRecord, mode: 'create' | 'replace'): Promise<boolean> {
    return this.guard(async () => {
      const keys = [this.keys.clients(), this.keys.clientsVersion()];
      const written = await this.durable(keys, () => this.client.putClient(keys, [record.entry.client_id as string, JSON.stringify(record), mode]));
      return written === 1;
    });
  }
}
