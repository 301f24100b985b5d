import { defineScript, type CommandParser } from 'redis';
import type { ScriptClient } from './commands.js';

/**
 * A Lua script for node-redis's `scripts` option: the client runs it by EVALSHA and loads it on NOSCRIPT
 * (after a Redis restart, say). Every key the script touches arrives in `keys`, named by keys.ts, and none is
 * built inside it: Redis (and a cluster's slot routing) sees each key the script uses.
 */
export function luaScript(source: string) {
  return defineScript({
    SCRIPT: source,
    parseCommand(parser: CommandParser, keys: string[], args: string[]) {
      parser.pushKeysLength(keys);
      parser.push(...args);
    },
    transformReply: (reply: unknown) => reply,
  });
}

/** A script's HGETALL reply (a flat list of names and values) as an object. */
export function pairsToObject(flat: unknown): Record<string, string> {
  const list = flat as string[];
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) result[list[i]!] = list[i + 1]!;
  return result;
}

// KEYS: a hash. ARGV: TTL ms, field pairs… Writes a record and its expiry in one step.
const PUT_HASH = luaScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`);

// An index (a user's sessions or sign-ins) is a hash of its members, each to '1': a small hash is a listpack, where
// Redis 7.0 keeps a set of strings as a hash table (one sid: 264 bytes as a set, 96 as a hash; bench/redis-memory.mjs).
// Builds before this one wrote a set. A script that changes an index first turns a set it finds into a hash (the same
// members, the same expiry), and readers take either, so an index moves over on its next write; the last sets expire
// with the sessions they list.
const INDEX_AS_HASH = `
local function indexAsHash(key)
  if redis.call('TYPE', key).ok ~= 'set' then return end
  local members = redis.call('SMEMBERS', key)
  local ttl = redis.call('PTTL', key)
  redis.call('DEL', key)
  for i = 1, #members do redis.call('HSET', key, members[i], '1') end
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
end
`;

// KEYS: an index. ARGV: member, ms it must live at least. An index may outlive its members (readers drop the ones
// that are gone), never the other way round.
const ADD_TO_INDEX = luaScript(`${INDEX_AS_HASH}
indexAsHash(KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], '1')
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`);

// KEYS: an index. ARGV: members. Removes them; answers how many it held.
const REMOVE_FROM_INDEX = luaScript(`${INDEX_AS_HASH}
indexAsHash(KEYS[1])
local removed = 0
for i = 1, #ARGV do removed = removed + redis.call('HDEL', KEYS[1], ARGV[i]) end
return removed`);

// KEYS: an index. Its members, from a hash or from a set an earlier build wrote.
const INDEX_MEMBERS = luaScript(`
if redis.call('TYPE', KEYS[1]).ok == 'set' then return redis.call('SMEMBERS', KEYS[1]) end
return redis.call('HKEYS', KEYS[1])`);

// KEYS: a hash. Reads a record and deletes it in one step: of two concurrent takers, one gets it.
const TAKE_HASH = luaScript(`
local h = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return h`);

/** The members of an index: a user's sids or sign-ins (INDEX_AS_HASH). */
export async function indexMembers(client: Pick<ScriptClient<typeof RECORD_SCRIPTS>, 'indexMembers'>, key: string): Promise<string[]> {
  return (await client.indexMembers([key], [])) as string[];
}

/** The record and index scripts the session, sign-in and code stores share. */
export const RECORD_SCRIPTS = {
  putHash: PUT_HASH,
  addToIndex: ADD_TO_INDEX,
  removeFromIndex: REMOVE_FROM_INDEX,
  indexMembers: INDEX_MEMBERS,
  takeHash: TAKE_HASH,
};
