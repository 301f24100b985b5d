import { CLIENT_ID_HOLD_SECONDS, type ClientRecord, type ClientStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { luaScript } from './lua.js';

// KEYS: clients hash, version counter, the id's hold. ARGV: client_id, JSON, mode ('create' | 'replace'). One step: the
// write and the version every instance polls move together, so no instance sees the new version without the record.
// Answers 1 when written, 0 when the id is taken (create) or absent (replace), 2 when a create meets the hold.
const PUT_CLIENT = luaScript(`
local exists = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
if (ARGV[3] == 'create') == exists then return 0 end
if ARGV[3] == 'create' and redis.call('EXISTS', KEYS[3]) == 1 then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1`);

// KEYS: clients hash, version counter, the id's hold. ARGV: client_id, hold ms.
const DELETE_CLIENT = luaScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
return 1`);

/** The client scripts, by the name the Redis client gives each. */
export const CLIENT_SCRIPTS = { putClient: PUT_CLIENT, deleteClient: DELETE_CLIENT };

/** What this module sends: the plain commands, the record scripts and its own. */
type Client = ScriptClient<typeof CLIENT_SCRIPTS & typeof RECORD_SCRIPTS>;

/** Runtime clients in Redis: one hash of JSON records and a version counter, in one slot on a cluster. */
export class RedisClients implements ClientStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
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

  async create(record: ClientRecord): Promise<'created' | 'taken' | 'held'> {
    const outcome = await this.#put(record, 'create');
    return outcome === 1 ? 'created' : outcome === 2 ? 'held' : 'taken';
  }

  async replace(record: ClientRecord): Promise<boolean> {
    return (await this.#put(record, 'replace')) === 1;
  }

  delete(clientId: string): Promise<boolean> {
    return this.guard(async () => {
      const keys = this.#keys(clientId);
      return (await this.durable(keys, () => this.client.deleteClient(keys, [clientId, String(CLIENT_ID_HOLD_SECONDS * 1000)]))) === 1;
    });
  }

  /** The keys a client's scripts touch: one slot on a cluster (the hold's name carries the same tag). */
  #keys(clientId: string): string[] {
    return [this.keys.clients(), this.keys.clientsVersion(), this.keys.clientIdHold(clientId)];
  }

  async #version(): Promise<number> {
    return Number((await this.client.get(this.keys.clientsVersion())) ?? 0);
  }

  #put(record: ClientRecord, mode: 'create' | 'replace'): Promise<number> {
    return this.guard(async () => {
      const clientId = record.entry.client_id as string;
      const keys = this.#keys(clientId);
      return Number(await this.durable(keys, () => this.client.putClient(keys, [clientId, JSON.stringify(record), mode])));
    });
  }
}
