import type { KnownBrowserStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import { luaScript } from './lua.js';

// KEYS: the user's browsers. ARGV: browser hash, now (ms), ms to keep. Answers 1 when the browser was new to the user.
const REMEMBER_BROWSER = luaScript(`
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return added`);

/** The known-browser scripts, by the name the Redis client gives each. */
export const KNOWN_BROWSER_SCRIPTS = { rememberBrowser: REMEMBER_BROWSER };

/** Known browsers in Redis: a hash per user (browser hash → when last seen), expiring with the last sign-in's keep. */
export class RedisKnownBrowsers implements KnownBrowserStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<typeof KNOWN_BROWSER_SCRIPTS>,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
    private readonly clock: () => number,
  ) {}

  remember(userId: string, browserHash: string, ttlMs: number): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.userBrowsers(userId);
      return (await this.durable([key], () => this.client.rememberBrowser([key], [browserHash, String(this.clock()), String(ttlMs)]))) === 1;
    });
  }
}
