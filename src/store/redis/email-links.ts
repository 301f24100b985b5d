import type { EmailLinkPurpose, EmailLinkRecord, EmailLinkStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import { pairsToObject, type RECORD_SCRIPTS } from './lua.js';

/** What this module sends: the plain commands and the record scripts. */
type Client = ScriptClient<typeof RECORD_SCRIPTS>;

function linkFromHash(hash: Record<string, string>): EmailLinkRecord | undefined {
  if (!hash.user_id) return undefined;
  return {
    purpose: hash.purpose as EmailLinkPurpose,
    userId: hash.user_id,
    address: hash.address ?? '',
    passwordStamp: hash.password_stamp ?? '',
    createdAt: Number(hash.created_at),
  };
}

/** Mailed links in Redis: a hash per link, by its secret's hash, expiring with the link. */
export class RedisEmailLinks implements EmailLinkStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  create(secretHash: string, record: EmailLinkRecord, ttlMs: number): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.emailLink(secretHash);
      // prettier-ignore
      const fields = [
        'purpose', record.purpose,
        'user_id', record.userId,
        'address', record.address,
        'password_stamp', record.passwordStamp,
        'created_at', String(record.createdAt),
      ];
      await this.durable([key], () => this.client.putHash([key], [String(ttlMs), ...fields]));
    });
  }

  peek(secretHash: string): Promise<EmailLinkRecord | undefined> {
    return this.guard(async () => linkFromHash(await this.client.hGetAll(this.keys.emailLink(secretHash))));
  }

  take(secretHash: string): Promise<EmailLinkRecord | undefined> {
    return this.guard(async () => {
      const key = this.keys.emailLink(secretHash);
      return linkFromHash(pairsToObject(await this.durable([key], () => this.client.takeHash([key], []))));
    });
  }
}
