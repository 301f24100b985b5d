import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { luaScript } from './lua.js';

// KEYS: the set's hash, its version counter, the id's hold. ARGV: id, JSON, mode ('create' | 'replace'). One step: the
// write and the version every instance polls move together, so no instance sees the new version without the record.
// Answers 1 when written, 0 when the id is taken (create) or absent (replace), 2 when a create meets the hold.
const PUT_RECORD = luaScript(`
local exists = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
if (ARGV[3] == 'create') == exists then return 0 end
if ARGV[3] == 'create' and redis.call('EXISTS', KEYS[3]) == 1 then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1`);

// KEYS: the set's hash, its version counter, the id's hold. ARGV: id, hold ms.
const DELETE_RECORD = luaScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
return 1`);

/** The versioned sets' scripts, by the name the Redis client gives each. */
export const VERSIONED_SET_SCRIPTS = { putClient: PUT_RECORD, deleteClient: DELETE_RECORD };

/** What a versioned set sends: the plain commands, the record scripts and its own. */
type Client = ScriptClient<typeof VERSIONED_SET_SCRIPTS & typeof RECORD_SCRIPTS>;

/** The keys of one versioned set, all in one slot on a cluster (the hold's name carries the same tag). */
export interface VersionedSetKeys {
  records: () => string;
  version: () => string;
  hold: (id: string) => string;
}

/**
 * A set of runtime records every instance shares (clients, providers): one hash of JSON records by id and a version
 * counter that moves with every change, so each instance notices a change by polling one key. A deleted id is held
 * for a while, so that nothing the deleted record issued can pass as a new record's of the same id.
 */
export class RedisVersionedSet {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: VersionedSetKeys,
    private readonly durable: Durable,
    private readonly holdMs: number,
  ) {}

  /** Every record's JSON, with the version they are as of (read first: a change meanwhile shows at the next poll). */
  all(): Promise<{ version: number; records: string[] }> {
    return this.guard(async () => {
      const version = await this.#version();
      return { version, records: Object.values(await this.client.hGetAll(this.keys.records())) };
    });
  }

  version(): Promise<number> {
    return this.guard(() => this.#version());
  }

  /** Writes a record: 1 written, 0 the id taken (create) or absent (replace), 2 a create within the id's hold. */
  put(id: string, json: string, mode: 'create' | 'replace'): Promise<number> {
    return this.guard(async () => {
      const keys = this.#keys(id);
      return Number(await this.durable(keys, () => this.client.putClient(keys, [id, json, mode])));
    });
  }

  /** Removes a record and holds its id; false when there was none. */
  delete(id: string): Promise<boolean> {
    return this.guard(async () => {
      const keys = this.#keys(id);
      return (await this.durable(keys, () => this.client.deleteClient(keys, [id, String(this.holdMs)]))) === 1;
    });
  }

  #keys(id: string): string[] {
    return [this.keys.records(), this.keys.version(), this.keys.hold(id)];
  }

  async #version(): Promise<number> {
    return Number((await this.client.get(this.keys.version())) ?? 0);
  }
}
