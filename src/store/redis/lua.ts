import { defineScript, type CommandParser } from 'redis';

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

// KEYS: an index set (a user's sessions or sign-ins). ARGV: member, ms it must live at least. An index may outlive
// its members (readers drop the ones that are gone), never the other way round.
const ADD_TO_INDEX = luaScript(`
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`);

// KEYS: a hash. Reads a record and deletes it in one step: of two concurrent takers, one gets it.
const TAKE_HASH = luaScript(`
local h = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return h`);

/** The record and index scripts the session, sign-in and code stores share. */
export const RECORD_SCRIPTS = { putHash: PUT_HASH, addToIndex: ADD_TO_INDEX, takeHash: TAKE_HASH };
