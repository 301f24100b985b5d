import type { ClaimedMessage, MailOutboxStore, OutboxEntry, OutboxMessage } from '../types.js';
import { randomUUID } from 'node:crypto';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import { luaScript, pairsToObject } from './lua.js';

/** How many mails of one user the outbox remembers (the newest). */
const MAILS_PER_USER = 50;

// KEYS: mail, due, the user's mails. ARGV: id, created at (ms), ms to keep, user id, field pairs…
const ENQUEUE_MAIL = luaScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -${MAILS_PER_USER + 1})
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
return 1`);

// KEYS: due. ARGV: now (ms), the lease's end (ms), at most how many. The due mails, each not due again until the lease ends.
const CLAIM_DUE_MAILS = luaScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #ids do redis.call('ZADD', KEYS[1], ARGV[2], ids[i]) end
return ids`);

// KEYS: mail, due. ARGV: id, lease. Takes a claimed mail under a lease of its own, counting the try; a mail that expired
// or was settled meanwhile leaves the due set.
const TAKE_MAIL = luaScript(`
if redis.call('HEXISTS', KEYS[1], 'subject') == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {}
end
redis.call('HSET', KEYS[1], 'lease', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return redis.call('HGETALL', KEYS[1])`);

// KEYS: mail, due. ARGV: id, lease, now (ms), state, error, due again at (ms, with state pending). Only the lease holder
// settles a mail; a settled mail's body (which may hold a link's secret) is dropped.
const SETTLE_MAIL = luaScript(`
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'updated_at', ARGV[3])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'last_error', ARGV[5]) end
if ARGV[4] == 'pending' then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[1], 'subject', 'text', 'html', 'lease')
end
return 1`);

/** The outbox scripts, by the name the Redis client gives each. */
export const OUTBOX_SCRIPTS = {
  enqueueMail: ENQUEUE_MAIL,
  claimDueMails: CLAIM_DUE_MAILS,
  takeMail: TAKE_MAIL,
  settleMail: SETTLE_MAIL,
};

/** What this module sends: the plain commands and its own scripts. */
type Client = ScriptClient<typeof OUTBOX_SCRIPTS>;

function entryFromHash(hash: Record<string, string>): OutboxEntry | undefined {
  if (!hash.id) return undefined;
  return {
    id: hash.id,
    kind: hash.kind ?? '',
    to: hash.to ?? '',
    state: (hash.state ?? 'pending') as OutboxEntry['state'],
    attempts: Number(hash.attempts ?? 0),
    createdAt: Number(hash.created_at),
    updatedAt: Number(hash.updated_at ?? hash.created_at),
    ...(hash.last_error === undefined ? {} : { lastError: hash.last_error }),
  };
}

/** The mail outbox in Redis, in one slot (keys.ts): a hash per mail, a sorted set of due mails, one of each user's mails. */
export class RedisOutbox implements MailOutboxStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  enqueue(message: OutboxMessage, keepMs: number): Promise<void> {
    return this.guard(async () => {
      const keys = [this.keys.outboxMail(message.id), this.keys.outboxDue(), this.keys.outboxUser(message.userId)];
      // prettier-ignore
      const fields = [
        'id', message.id,
        'user_id', message.userId,
        'kind', message.kind,
        'to', message.to,
        'subject', message.subject,
        'text', message.text,
        'html', message.html,
        'state', 'pending',
        'attempts', '0',
        'created_at', String(message.createdAt),
      ];
      const args = [message.id, String(message.createdAt), String(keepMs), message.userId, ...fields];
      await this.durable(keys, () => this.client.enqueueMail(keys, args));
    });
  }

  claim(now: number, leaseMs: number, limit: number): Promise<ClaimedMessage[]> {
    return this.guard(async () => {
      const due = this.keys.outboxDue();
      const ids = (await this.durable([due], () => this.client.claimDueMails([due], [String(now), String(now + leaseMs), String(limit)]))) as string[];
      const claimed: ClaimedMessage[] = [];
      for (const id of ids) {
        const lease = randomUUID();
        const keys = [this.keys.outboxMail(id), due];
        const hash = pairsToObject(await this.durable(keys, () => this.client.takeMail(keys, [id, lease])));
        if (!hash.id) continue;
        claimed.push({ message: messageFromHash(hash), attempts: Number(hash.attempts) - 1, lease });
      }
      return claimed;
    });
  }

  sent(id: string, lease: string, now: number): Promise<boolean> {
    return this.#settle(id, [lease, String(now), 'sent', '', '']);
  }

  failed(id: string, lease: string, now: number, error: string, retryAt: number | undefined): Promise<boolean> {
    return this.#settle(id, [lease, String(now), retryAt === undefined ? 'failed' : 'pending', error, retryAt === undefined ? '' : String(retryAt)]);
  }

  listForUser(userId: string, limit: number): Promise<OutboxEntry[]> {
    return this.guard(async () => {
      const ids = await this.client.zRange(this.keys.outboxUser(userId), 0, limit - 1, { REV: true });
      const hashes = await Promise.all(ids.map((id) => this.client.hGetAll(this.keys.outboxMail(id))));
      return hashes.map((hash) => entryFromHash(hash)).filter((entry): entry is OutboxEntry => entry !== undefined);
    });
  }

  #settle(id: string, args: string[]): Promise<boolean> {
    return this.guard(async () => {
      const keys = [this.keys.outboxMail(id), this.keys.outboxDue()];
      return (await this.durable(keys, () => this.client.settleMail(keys, [id, ...args]))) === 1;
    });
  }
}

function messageFromHash(hash: Record<string, string>): OutboxMessage {
  return {
    id: hash.id ?? '',
    userId: hash.user_id ?? '',
    kind: hash.kind ?? '',
    to: hash.to ?? '',
    subject: hash.subject ?? '',
    text: hash.text ?? '',
    html: hash.html ?? '',
    createdAt: Number(hash.created_at),
  };
}
