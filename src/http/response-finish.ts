import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/metrics.js';
import { levelEnabled } from './lazy-request-logger.js';
import { responseHeaders } from './security-headers.js';

/** One answered request, as its log line and its metrics record it. */
export interface AnsweredRequest {
  method: string;
  /** The path without its query string, which may carry a token. */
  path: string;
  /** The matched route's pattern (the metrics label, never the raw path). */
  route: string | undefined;
  status: number;
  ms: number;
  /** The client's address (TRUST_PROXY applied). */
  ip: string | undefined;
}

/**
 * How every response of a listener is finished, by Fastify's hooks and by the fast lane (fast-lane.ts) alike, so
 * the two cannot drift: the headers every response carries (security-headers.ts), and, once answered, one log line
 * (method, path, status, time and client address; never headers, bodies or the query) and the request metrics
 * (http_request_duration_seconds). Below `info` no line is written, and without METRICS_PORT nothing is measured:
 * then no hook is registered at all, since a hook that does nothing still costs every request.
 */
export class ResponseFinish {
  /** The headers of every response. */
  readonly headers: Readonly<Record<string, string>>;
  readonly #logs: boolean;
  readonly #metrics: Metrics | undefined;

  constructor(settings: { logger: FastifyBaseLogger; metrics: Metrics | undefined; hstsMaxAge: number }) {
    this.headers = responseHeaders(settings.hstsMaxAge);
    this.#logs = levelEnabled(settings.logger, 'info');
    this.#metrics = settings.metrics;
  }

  /** Whether an answered request leaves a log line or a measurement, and so must be timed. */
  get records(): boolean {
    return this.#logs || this.#metrics !== undefined;
  }

  /** Records an answered request: its log line on `log` (with the request id, when the logger does not bind one) and its metrics. */
  answered(log: FastifyBaseLogger, request: AnsweredRequest, requestId?: () => string): void {
    if (this.#logs) {
      const line = { method: request.method, path: request.path, status: request.status, ms: Math.round(request.ms * 100) / 100, ip: request.ip };
      log.info(requestId === undefined ? line : { reqId: requestId(), ...line }, 'request');
    }
    this.#metrics?.observeRequest(request.method, request.route, request.status, request.ms / 1000);
  }

  /**
   * Finishes a Fastify app's responses: one onSend hook sets the headers (and `Connection: close` once `closing()`
   * says the server is shutting down, so a keep-alive client cannot hold it open), one onResponse hook records.
   * Callback hooks: a promise per hook would cost every request more.
   */
  register(app: FastifyInstance, closing: () => boolean): void {
    const headers = this.headers;
    app.addHook('onSend', (_request, reply, payload, done) => {
      reply.headers(headers);
      if (closing()) reply.header('connection', 'close');
      done(null, payload);
    });
    if (!this.records) return;
    app.addHook('onResponse', (request, reply, done) => {
      const path = request.url;
      const mark = path.indexOf('?');
      this.answered(request.log, {
        method: request.method,
        path: mark < 0 ? path : path.slice(0, mark),
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: reply.elapsedTime,
        ip: request.ip,
      });
      done();
    });
  }
}
