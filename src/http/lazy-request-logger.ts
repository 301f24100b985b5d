import type { FastifyBaseLogger } from 'fastify';
import { levels, type Bindings, type ChildLoggerOptions, type LevelWithSilentOrString } from 'pino';

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** True when the logger writes lines of this level (pino levels; `silent` writes none). */
export function levelEnabled(logger: { level: string }, level: LogMethod): boolean {
  const threshold = levels.values[logger.level];
  return threshold !== undefined && levels.values[level]! >= threshold;
}

/**
 * An optimisation: a request's logger that becomes a real pino child (with the request id bound) only when a
 * line of an enabled level is written. A pino child per request, built with redaction, is a measurable share of
 * a cheap request such as the JWKS, and most requests write no line of their own at `warn`. Removing it changes
 * no log line. Measure it with `node bench/ab.mjs DIST_A DIST_B --scenarios jwks`.
 */
class RequestLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  get level(): LevelWithSilentOrString {
    return this.#logger().level;
  }

  set level(level: LevelWithSilentOrString) {
    this.#logger().level = level;
  }

  #logger(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }

  #write(level: LogMethod, args: unknown[]): void {
    if (this.#child === undefined && !levelEnabled(this.#parent, level)) return;
    (this.#logger()[level] as (...line: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }

  info(...args: unknown[]): void {
    this.#write('info', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options);
  }
}

/**
 * Fastify's childLoggerFactory: a lazy request logger, or a real child at once when the route asks
 * for options of its own (a per-route log level or serializers).
 */
export function requestLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return new RequestLogger(logger, bindings) as unknown as FastifyBaseLogger;
}
