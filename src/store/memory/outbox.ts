import { randomUUID } from 'node:crypto';
import type { ClaimedMessage, MailOutboxStore, OutboxEntry, OutboxMessage } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** A queued mail, its body dropped once settled, and when it is due (undefined once settled). */
interface StoredMail {
  entry: OutboxEntry;
  message: OutboxMessage | undefined;
  userId: string;
  dueAt: number | undefined;
  lease: string | undefined;
}

/** The mail outbox in process memory (one instance only): each method runs without an await, so each is atomic. */
export class MemoryOutbox implements MailOutboxStore {
  readonly #mails: ExpiringMap<StoredMail>;

  constructor(clock: () => number) {
    this.#mails = new ExpiringMap(clock);
  }

  async enqueue(message: OutboxMessage, keepMs: number): Promise<void> {
    const entry: OutboxEntry = {
      id: message.id,
      kind: message.kind,
      to: message.to,
      state: 'pending',
      attempts: 0,
      createdAt: message.createdAt,
      updatedAt: message.createdAt,
    };
    this.#mails.set(message.id, { entry, message: { ...message }, userId: message.userId, dueAt: message.createdAt, lease: undefined }, keepMs);
  }

  async claim(now: number, leaseMs: number, limit: number): Promise<ClaimedMessage[]> {
    const due = [...this.#mails.entries()]
      .map(([, mail]) => mail)
      .filter((mail) => mail.dueAt !== undefined && mail.dueAt <= now && mail.message)
      .sort((a, b) => a.dueAt! - b.dueAt!)
      .slice(0, limit);
    return due.map((mail) => {
      const attempts = mail.entry.attempts;
      mail.entry.attempts += 1;
      mail.dueAt = now + leaseMs;
      mail.lease = randomUUID();
      return { message: { ...mail.message! }, attempts, lease: mail.lease };
    });
  }

  async sent(id: string, lease: string, now: number): Promise<boolean> {
    const mail = this.#held(id, lease);
    if (!mail) return false;
    Object.assign(mail, { message: undefined, dueAt: undefined, lease: undefined });
    Object.assign(mail.entry, { state: 'sent', updatedAt: now });
    return true;
  }

  async failed(id: string, lease: string, now: number, error: string, retryAt: number | undefined): Promise<boolean> {
    const mail = this.#held(id, lease);
    if (!mail) return false;
    Object.assign(mail.entry, { state: retryAt === undefined ? 'failed' : 'pending', updatedAt: now, lastError: error });
    if (retryAt === undefined) Object.assign(mail, { message: undefined, dueAt: undefined, lease: undefined });
    else mail.dueAt = retryAt;
    return true;
  }

  async listForUser(userId: string, limit: number): Promise<OutboxEntry[]> {
    return [...this.#mails.entries()]
      .map(([, mail]) => mail)
      .filter((mail) => mail.userId === userId)
      .sort((a, b) => b.entry.createdAt - a.entry.createdAt)
      .slice(0, limit)
      .map((mail) => ({ ...mail.entry }));
  }

  sweep(): void {
    this.#mails.sweep();
  }

  #held(id: string, lease: string): StoredMail | undefined {
    const mail = this.#mails.get(id);
    return mail?.lease === lease ? mail : undefined;
  }
}
