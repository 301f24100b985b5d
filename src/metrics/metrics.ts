import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { RequestHistogram } from './request-histogram.js';
import type { AuditEvent } from '../audit/audit-log.js';

/** What the gauges read when Prometheus scrapes: the argon2 queue, the revocation feed, the signing key. */
export interface MetricSources {
  argon2Queued(): number;
  revocationFeedLive(): boolean;
  signingKid(): string | undefined;
}

/** Label values of a route that matched no route: never the raw path, which would make labels unbounded. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * The service's Prometheus metrics (prom-client), in a registry of their own. Every label value is bounded: route
 * patterns, never raw paths; registered client ids; limit bucket names; never a user id.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new RequestHistogram();
  readonly #tokensIssued = new Counter({
    name: 'tokensmith_tokens_issued_total',
    help: 'Token responses, by grant and client.',
    labelNames: ['grant', 'client_id'] as const,
    registers: [this.registry],
  });
  readonly #logins = new Counter({
    name: 'tokensmith_logins_total',
    help: 'Password checks of logins, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly #reuse = new Counter({
    name: 'tokensmith_refresh_reuse_detected_total',
    help: 'Spent refresh tokens presented again (their sessions revoked).',
    registers: [this.registry],
  });
  readonly #revocations = new Counter({
    name: 'tokensmith_revocations_total',
    help: 'Revocations, by kind: access_token and refresh_token (RFC 7009), session (every session ended otherwise).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly #rateLimited = new Counter({
    name: 'tokensmith_rate_limited_total',
    help: 'Requests refused by a request limit, by bucket.',
    labelNames: ['bucket'] as const,
    registers: [this.registry],
  });
  readonly #mails = new Counter({
    name: 'tokensmith_mail_messages_total',
    help: 'Tries of mails from the outbox, by outcome: sent, retried (to be tried again), failed (given up).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #storeErrors = new Counter({
    name: 'tokensmith_redis_errors_total',
    help: 'Requests answered 503 because the store did not answer.',
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry });
    this.registry.registerMetric(this.#requests as unknown as Metric);
    new Gauge({
      name: 'tokensmith_argon2_queue_depth',
      help: 'Password hashes waiting for a slot (ARGON2_MAX_CONCURRENT).',
      registers: [this.registry],
      collect() {
        this.set(sources.argon2Queued());
      },
    });
    new Gauge({
      name: 'tokensmith_revocation_feed_connected',
      help: '1 while this instance holds a live copy of the revocation lists, 0 while checks go to the store.',
      registers: [this.registry],
      collect() {
        this.set(sources.revocationFeedLive() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tokensmith_signing_key_info',
      help: 'The key that signs now (value 1, its kid as a label).',
      labelNames: ['kid'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const kid = sources.signingKid();
        if (kid !== undefined) this.set({ kid }, 1);
      },
    });
  }

  /** Records an answered request; `route` is the matched pattern, undefined when none matched. */
  observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.#requests.observe(method, route ?? UNMATCHED_ROUTE, statusCode, seconds);
  }

  /** Records a token response of a grant. */
  tokenIssued(grant: string, clientId: string): void {
    this.#tokensIssued.inc({ grant, client_id: clientId });
  }

  /** Records a request that failed because the store did not answer. */
  storeUnavailable(): void {
    this.#storeErrors.inc();
  }

  /** Counts what an audit event stands for (every event passes here, whatever AUDIT_LOG says). */
  observeEvent(event: AuditEvent): void {
    if (event.event === 'login_succeeded') this.#logins.inc({ result: 'success' });
    else if (event.event === 'login_failed') this.#logins.inc({ result: 'failure' });
    else if (event.event === 'login_throttled') this.#logins.inc({ result: 'throttled' });
    else if (event.event === 'refresh_reuse_detected') this.#reuse.inc();
    else if (event.event === 'token_revoked') this.#revocations.inc({ kind: event.token_type });
    else if (event.event === 'session_ended') this.#revocations.inc({ kind: 'session' });
    else if (event.event === 'sessions_ended_all' && event.count > 0) this.#revocations.inc({ kind: 'session' }, event.count);
    else if (event.event === 'rate_limited') this.#rateLimited.inc({ bucket: event.bucket });
    else if (event.event === 'mail_sent') this.#mails.inc({ outcome: 'sent' });
    else if (event.event === 'mail_retried') this.#mails.inc({ outcome: 'retried' });
    else if (event.event === 'mail_failed') this.#mails.inc({ outcome: 'failed' });
  }
}
