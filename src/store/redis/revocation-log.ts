import type { RevocationEntry } from '../types.js';
import type { Durable, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { luaScript, pairsToObject } from './lua.js';

// KEYS: the revocation log, the sequence counter. ARGV: channel, publish command (PUBLISH, or SPUBLISH on a
// cluster), TTL s, members (`jti:<id>` or `sid:<id>`). Each revocation does the same things in one atomic step:
// the log entry (a sorted set by expiry, for a subscriber's snapshot), the counter (so a subscriber can tell it
// missed a message) and the message (for live subscribers). The denylist key itself lives in the slot of what it
// revokes and is written beside this call (sessions.ts, revocations.ts).
const LOG_REVOCATIONS = luaScript(`
local ttl = tonumber(ARGV[3])
local now = tonumber(redis.call('TIME')[1])
local exp = now + ttl
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 4, #ARGV do
  redis.call('ZADD', KEYS[1], exp, ARGV[i])
  redis.call('INCR', KEYS[2])
  redis.call(ARGV[2], ARGV[1], ARGV[i] .. ':' .. exp)
end
-- The counter lives as long as the log: when both expire nothing is left to miss, and a subscriber that finds the
-- counter reset takes a fresh snapshot.
for i = 1, 2 do
  if redis.call('TTL', KEYS[i]) < ttl then redis.call('EXPIRE', KEYS[i], ttl) end
end
return 1`);

// KEYS: the revocation log, the sequence counter. ARGV: now s. The live entries and the counter, read together.
const READ_REVOCATIONS = luaScript(`
return {redis.call('GET', KEYS[2]) or '0', redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')}`);

/** The revocation log's scripts, by the name the Redis client gives each. */
export const REVOCATION_LOG_SCRIPTS = { logRevocations: LOG_REVOCATIONS, readRevocations: READ_REVOCATIONS };

/** What this module sends: the plain commands, the record scripts and its own. */
type Client = ScriptClient<typeof REVOCATION_LOG_SCRIPTS & typeof RECORD_SCRIPTS>;

/** Parses `kind:id:exp`, the form of a log member with its score and of a published message. */
export function parseRevocation(kindAndId: string, exp: number): RevocationEntry | undefined {
  const colon = kindAndId.indexOf(':');
  const kind = kindAndId.slice(0, colon);
  if ((kind !== 'jti' && kind !== 'sid') || !Number.isFinite(exp)) return undefined;
  return { kind, id: kindAndId.slice(colon + 1), exp };
}

/** A published message, `kind:id:exp`, as an entry. */
export function parseRevocationMessage(message: string): RevocationEntry | undefined {
  const last = message.lastIndexOf(':');
  return parseRevocation(message.slice(0, last), Number(message.slice(last + 1)));
}

/**
 * The revocation log and feed: a sorted set of live entries, a counter of every entry ever logged, and a channel.
 * All three share the `revocations` hash tag on a cluster, so one script writes them and one shard serves them.
 */
export class RevocationLog {
  constructor(
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly sharded: boolean,
    private readonly durable: Durable,
  ) {}

  /** The channel revocations are published on. */
  get channel(): string {
    return this.keys.revocationChannel();
  }

  /** Logs and publishes revocations of one TTL (seconds). */
  async record(members: string[], ttlSeconds: number): Promise<void> {
    const args = [this.channel, this.sharded ? 'SPUBLISH' : 'PUBLISH', String(ttlSeconds), ...members];
    const keys = [this.keys.revocationLog(), this.keys.revocationSequence()];
    await this.durable(keys, () => this.client.logRevocations(keys, args));
  }

  /** Every live entry, and how many entries had been logged when they were read. */
  async read(): Promise<{ entries: RevocationEntry[]; sequence: number }> {
    const now = Math.floor(Date.now() / 1000);
    const [sequence, flat] = (await this.client.readRevocations([this.keys.revocationLog(), this.keys.revocationSequence()], [String(now)])) as [
      string,
      string[],
    ];
    const entries = Object.entries(pairsToObject(flat))
      .map(([member, exp]) => parseRevocation(member, Number(exp)))
      .filter((entry): entry is RevocationEntry => entry !== undefined);
    return { entries, sequence: Number(sequence) };
  }

  /** How many entries have been logged so far. */
  async sequence(): Promise<number> {
    return Number((await this.client.get(this.keys.revocationSequence())) ?? 0);
  }
}
