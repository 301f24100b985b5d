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
