import { randomUUID } from 'node:crypto';
import type { MailOutboxStore, OutboxEntry } from '../store/types.js';
import type { MailKind } from './locales/en.js';
import type { MailTemplates } from './templates.js';

/** Days a mail's state stays in the outbox (its body goes once it is sent): what the admin API can list. */
export const OUTBOX_KEEP_MS = 7 * 86_400_000;

/**
 * Queues the service's mails: renders one from its template and puts it into the outbox in the store, which every
 * instance's OutboxWorker sends from. Queuing is all a use case waits for: a mail server that is down delays a mail,
 * never a request. With MAIL_TRANSPORT=off it is disabled, and the flows that need mail are not offered.
 */
export class Mailer {
  /** Called after each mail is queued, so this instance's worker sends it at once rather than at its next poll. */
  onQueued: () => void = () => {};

  constructor(
    private readonly outbox: MailOutboxStore,
    /** The mails' templates and words (a notice's "how", a link's lifetime). */
    readonly templates: MailTemplates,
    /** Whether mail leaves at all (MAIL_TRANSPORT is not off). */
    readonly enabled: boolean,
    private readonly clock: () => number,
  ) {}

  /** Renders and queues a mail to `to` about the user `userId`; a no-op when mail is off. Answers its id. */
  async queue(kind: MailKind, to: string, values: Readonly<Record<string, string>>, userId: string): Promise<string | undefined> {
    if (!this.enabled) return undefined;
    const id = randomUUID();
    const rendered = this.templates.render(kind, values);
    await this.outbox.enqueue({ id, userId, kind, to, ...rendered, createdAt: this.clock() }, OUTBOX_KEEP_MS);
    this.onQueued();
    return id;
  }

  /** A user's latest mails and their state (never their bodies), newest first. */
  listForUser(userId: string, limit = 20): Promise<OutboxEntry[]> {
    return this.outbox.listForUser(userId, limit);
  }
}
