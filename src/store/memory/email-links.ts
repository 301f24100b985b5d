import type { EmailLinkRecord, EmailLinkStore } from '../types.js';
import { MemoryOneTimeRecords } from './one-time-records.js';

/** Emailed links in process memory. */
export class MemoryEmailLinks extends MemoryOneTimeRecords<EmailLinkRecord> implements EmailLinkStore {
  peek(secretHash: string): Promise<EmailLinkRecord | undefined> {
    return this.get(secretHash);
  }
}
