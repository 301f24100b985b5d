import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { MailOutboxStore } from '../store/types.js';
import type { MailTransport } from './transport.js';

/** How the worker paces itself. */
export interface OutboxWorkerOptions {
  /** Milliseconds before the first retry; each later one waits twice as long, at most RETRY_CAP_MS. */
  retryDelayMs: number;
  /** Tries of one mail before it is given up. */
  maxAttempts: number;
  /** Milliseconds between looks at the outbox when nothing woke the worker. */
  pollMs?: number;
  /** Milliseconds a claim holds a mail: longer than any try can take (the SMTP timeouts), so no two instances send it. */
  leaseMs?: number;
}

/** The longest wait between two tries of a mail. */
export const RETRY_CAP_MS = 600_000;
/** Mails claimed per look. */
const BATCH = 10;
/** The longest error text kept with a mail: the server's reply, never the mail. */
const ERROR_MAX_LENGTH = 300;

/**
 * Sends what the outbox holds, on every serving instance: claims due mails (each claimed by one instance, until its
 * lease ends), sends each through the transport, and settles it: sent (its body dropped), due again after a backoff, or
 * failed after maxAttempts. An instance that dies mid-send leaves the mail to whichever claims it when the lease ends.
 */
export class OutboxWorker {
  readonly #pollMs: number;
  readonly #leaseMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #warned = false;

  constructor(
    private readonly outbox: MailOutboxStore,
    private readonly transport: MailTransport,
    private readonly options: OutboxWorkerOptions,
    private readonly audit: AuditLog,
    private readonly logger: FastifyBaseLogger,
    private readonly clock: () => number,
  ) {
    this.#pollMs = options.pollMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? 120_000;
  }

  /** Starts looking at the outbox every pollMs. */
  start(): void {
    this.#timer = setInterval(() => this.kick(), this.#pollMs);
    this.#timer.unref();
    this.kick();
  }

  /** Looks at the outbox now (or right after the look under way). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Stops looking, waits for the mails in hand, and closes the transport. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
    this.transport.close();
  }

  /** The wait before try number `attempt + 1` (attempt ≥ 1): retryDelayMs, doubling, capped. */
  backoff(attempt: number): number {
    return Math.min(this.options.retryDelayMs * 2 ** (attempt - 1), RETRY_CAP_MS);
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        const claimed = await this.outbox.claim(this.clock(), this.#leaseMs, BATCH);
        if (claimed.length === 0) break;
        await Promise.all(claimed.map((claim) => this.#send(claim.message, claim.attempts + 1, claim.lease)));
        if (this.#stopped || claimed.length < BATCH) break;
      }
      this.#warned = false;
    } catch (error) {
      // The store is down: the mails wait in it; the next look tries again. One warning per outage.
      if (!this.#warned) this.logger.warn({ err: { message: (error as Error).message } }, 'the mail outbox cannot be read; retrying');
      this.#warned = true;
    }
  }

  async #send(message: { id: string; userId: string; kind: string; to: string; subject: string; text: string; html: string }, attempt: number, lease: string) {
    const context = { message_id: message.id, kind: message.kind, ...(message.userId === '' ? {} : { user_id: message.userId }) };
    try {
      await this.transport.send(message);
    } catch (error) {
      const reason = String((error as Error).message ?? error).slice(0, ERROR_MAX_LENGTH);
      const giveUp = attempt >= this.options.maxAttempts;
      await this.outbox.failed(message.id, lease, this.clock(), reason, giveUp ? undefined : this.clock() + this.backoff(attempt));
      this.audit.emit(giveUp ? { event: 'mail_failed', attempts: attempt, ...context } : { event: 'mail_retried', attempts: attempt, ...context });
      return;
    }
    await this.outbox.sent(message.id, lease, this.clock());
    this.audit.emit({ event: 'mail_sent', attempts: attempt, ...context });
  }
}
