import type { EmailLinkPurpose, EmailLinkRecord, EmailLinkStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';
import { RedisOneTimeRecords, type HashCodec } from './one-time-records.js';

const EMAIL_LINK: HashCodec<EmailLinkRecord> = {
  fields(record) {
    // prettier-ignore
    return [
      'purpose', record.purpose,
      'user_id', record.userId,
      'address', record.address,
      'password_stamp', record.passwordStamp,
      'created_at', String(record.createdAt),
    ];
  },
  read(hash) {
    if (!hash.user_id) return undefined;
    return {
      purpose: hash.purpose as EmailLinkPurpose,
      userId: hash.user_id,
      address: hash.address ?? '',
      passwordStamp: hash.password_stamp ?? '',
      createdAt: Number(hash.created_at),
    };
  },
};

/** Mailed links in Redis: a hash per link, by its secret's hash, expiring with the link. */
export class RedisEmailLinks extends RedisOneTimeRecords<EmailLinkRecord> implements EmailLinkStore {
  constructor(guard: Guard, client: ScriptClient<typeof RECORD_SCRIPTS>, keys: RedisKeys, durable: Durable) {
    super(guard, client, durable, keys.emailLink, EMAIL_LINK);
  }

  peek(secretHash: string): Promise<EmailLinkRecord | undefined> {
    return this.get(secretHash);
  }
}
