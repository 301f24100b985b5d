import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger, FastifyServerFactory } from 'fastify';
import { batchTurns } from './turn-batching.js';
import type { LaneAnswer, LaneRoute } from './lane-route.js';
import type { ResponseFinish } from './response-finish.js';

/** What the lane shares with the Fastify app it stands before: what every route's answer gets and records. */
export interface LaneSettings {
  /** The app's logger, for the lane's request log lines. */
  logger: FastifyBaseLogger;
  /** How the app finishes every response (its headers, log line and metrics): the lane finishes its answers the same way. */
  finish: ResponseFinish;
  /** Whether CORS is configured: then a request with an Origin goes to the app, whose hook answers it. */
  cors: boolean;
  /** True once the app is closing: the app then answers, with `Connection: close` (or 503). */
  closing: () => boolean;
  /** The client's address as the app's `request.ip` has it (TRUST_PROXY). */
  clientAddress: (request: IncomingMessage) => string | undefined;
}

/**
 * An optimisation: answers the hottest requests, a plain GET of the JWKS and a forward-auth check of a token this
 * instance has verified before, straight on Node's response before Fastify routes them. It answers only what a
 * route says it would answer exactly so, finished as the app finishes its responses (response-finish.ts: the same headers, log line and metrics; test/http/fast-lane.test.ts
 * compares both ways of answering); anything else (another method, a body, an Origin under CORS, a closing app, a
 * query it does not read, a token not remembered, any error) goes to Fastify untouched. Removing it changes no
 * answer. Fastify's routing, hooks and reply cost these requests a fifth of their CPU; measure it with
 * `node bench/ab.mjs DIST_A DIST_B --scenarios jwks,forward_auth`.
 */
export class FastLane {
  readonly #routes: LaneRoute[] = [];
  readonly #heads = new WeakMap<LaneAnswer, Record<string, string>>();
  #settings: LaneSettings | undefined;
  /** Whether an answer is logged or measured, and so timed. */
  #timed = false;
  #answered = 0;
  #nextRequestId = 0;

  /** How many requests the lane has answered (tests use it to see that it did). */
  get answered(): number {
    return this.#answered;
  }

  /** Fastify's request ids; the lane's log lines take theirs from the same sequence. */
  readonly requestId = (): string => {
    this.#nextRequestId = (this.#nextRequestId + 1) % 2_147_483_647;
    return `req-${this.#nextRequestId.toString(36)}`;
  };

  /** Starts answering, with what every answer of the app gets; until then every request goes to the app. */
  configure(settings: LaneSettings): void {
    this.#settings = settings;
    this.#timed = settings.finish.records;
  }

  /** Lets the lane answer a route's requests (a route Fastify registers for GET and HEAD is added once). */
  add(route: LaneRoute): void {
    if (!this.#routes.includes(route)) this.#routes.push(route);
  }

  /**
   * Fastify's serverFactory: the HTTP server of the app, with the lane before the app's handler, every request
   * handled in a batch of its loop turn (http/turn-batching.ts), and the timeouts Fastify sets on a server of its own.
   */
  readonly serverFactory: FastifyServerFactory = (handler, options) => {
    const dispatch = (request: IncomingMessage, response: ServerResponse) => {
      if (!this.#answer(request, response)) handler(request, response);
    };
    // Fastify fills these in before it calls the factory (its defaults where the app sets none).
    const settings = options as {
      http?: ServerOptions;
      keepAliveTimeout: number;
      requestTimeout: number;
      connectionTimeout: number;
      maxRequestsPerSocket?: number;
    };
    const server: Server = createServer(settings.http ?? {}, batchTurns(dispatch));
    server.keepAliveTimeout = settings.keepAliveTimeout;
    server.requestTimeout = settings.requestTimeout;
    server.setTimeout(settings.connectionTimeout);
    if ((settings.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = settings.maxRequestsPerSocket!;
    return server;
  };

  /** Answers the request when one of its routes can; false leaves it to the app. */
  #answer(request: IncomingMessage, response: ServerResponse): boolean {
    const settings = this.#settings;
    if (settings === undefined || request.method !== 'GET' || !this.#plain(request.headers, settings) || settings.closing()) return false;
    const url = request.url ?? '';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const route = this.#route(path);
    if (route === undefined) return false;
    const started = this.#timed ? performance.now() : 0;
    let answer: LaneAnswer | undefined;
    try {
      answer = route.answer(mark < 0 ? '' : url.slice(mark + 1), request.headers);
    } catch {
      return false;
    }
    if (answer === undefined) return false;
    this.#write(response, answer, settings.finish.headers);
    this.#answered += 1;
    if (this.#timed) {
      const answered = { method: 'GET', path, route: route.route, status: answer.status, ms: performance.now() - started, ip: settings.clientAddress(request) };
      settings.finish.answered(settings.logger, answered, this.requestId);
    }
    return true;
  }

  #route(path: string): LaneRoute | undefined {
    for (const route of this.#routes) if (route.matches(path)) return route;
    return undefined;
  }

  /** No body, and no Origin for the CORS hook to answer. */
  #plain(headers: IncomingHttpHeaders, settings: LaneSettings): boolean {
    return headers['content-length'] === undefined && headers['transfer-encoding'] === undefined && !(settings.cors && headers.origin !== undefined);
  }

  /** Writes an answer; the full headers of each answer object are put together once (routes reuse their answers). */
  #write(response: ServerResponse, answer: LaneAnswer, responseHeaders: Readonly<Record<string, string>>): void {
    let head = this.#heads.get(answer);
    if (head === undefined) {
      head = { ...answer.headers, ...responseHeaders, 'content-length': String(Buffer.byteLength(answer.body)) };
      this.#heads.set(answer, head);
    }
    response.writeHead(answer.status, head);
    response.end(answer.body);
  }
}
