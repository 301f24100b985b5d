import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics/metrics.js';
import type { FastLane } from './fast-lane.js';
import type { PageBranding } from './page-branding.js';
import type { PageLocales } from './page-text.js';
import { requestLoggerFactory } from './lazy-request-logger.js';

/** The body limit of every route (the token, account and discovery routes need far less). */
export const BODY_LIMIT = 16 * 1024;

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered, for the OpenAPI document and its test. */
    routeCatalog: RouteOptions[];
    /** The Prometheus metrics, when METRICS_PORT is set. */
    metrics: Metrics | undefined;
    /** The admin API (not listening: server.ts listens on ADMIN_PORT), when ADMIN_PORT is set; closed with the app. */
    admin: FastifyInstance | undefined;
    /** The fast lane (http/fast-lane.ts) on the service's listener, none on the admin API's; tests count its answers. */
    fastLane: FastLane | undefined;
    /** How the hosted pages are branded (page-branding.ts); sendPage reads it. */
    pageBranding: PageBranding;
    /** The languages the hosted pages speak (page-text.ts); pageText picks one per request. */
    pageLocales: PageLocales;
  }
}

/**
 * Ajv's messages as JSON log lines, so the start prints nothing else. Its notice that `unicode: false` is
 * deprecated is dropped: the option is kept on purpose (see buildApp) and still works in Ajv 8.
 */
function schemaCompilerLogger(logger: FastifyBaseLogger) {
  const text = (args: unknown[]) => args.map(String).join(' ');
  return {
    log: (...args: unknown[]) => logger.info({ ajv: text(args) }, 'schema compiler'),
    warn: (...args: unknown[]) => {
      if (!text(args).startsWith('DEPRECATED: option unicode')) logger.warn({ ajv: text(args) }, 'schema compiler warning');
    },
    error: (...args: unknown[]) => logger.error({ ajv: text(args) }, 'schema compiler error'),
  };
}

/** A Fastify instance with the settings every listener of the service shares: limits, logging, validation. */
export function createFastify(config: Config, logger: FastifyBaseLogger, lane?: FastLane): FastifyInstance {
  return Fastify({
    ...(lane === undefined ? {} : { serverFactory: lane.serverFactory, genReqId: lane.requestId }),
    loggerInstance: logger,
    // Fastify's two lines per request are replaced by the one of ResponseFinish.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: requestLoggerFactory,
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: true,
    requestIdHeader: false,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    // An optimisation: unicode: false makes maxLength count UTF-16 code units (String#length) instead of walking
    // every string for surrogate pairs (measure with bench/ab.mjs --scenarios introspection). Limits only get stricter for
    // astral-plane characters: the password's real limit is in UTF-8 bytes (never fewer than code units), and a
    // username is checked again, in code points, after NFKC.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, unicode: false, logger: schemaCompilerLogger(logger) } },
  });
}
