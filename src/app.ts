import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { ClientRegistry } from './clients/registry.js';
import type { Config } from './config.js';
import { registerCors } from './http/cors.js';
import { registerErrorHandlers } from './http/errors.js';
import { registerFormParser } from './http/form-body.js';
import { registerRateLimits } from './http/rate-limits.js';
import { registerRequestLog } from './http/request-log.js';
import { requestLoggerFactory } from './perf/lazy-request-logger.js';
import { registerResponseHeaders, responseHeaders } from './http/security-headers.js';
import { FastLane } from './perf/fast-lane.js';
import type { KeyRing } from './keys/keyring.js';
import { accountRoutes } from './routes/account.js';
import { forwardAuthRoutes } from './routes/forward-auth.js';
import { revocationFeedRoutes } from './routes/revocation-feed.js';
import { discoveryRoutes } from './routes/discovery.js';
import { healthRoutes } from './routes/health.js';
import { introspectionRoutes } from './routes/introspection.js';
import { jwksRoutes } from './routes/jwks.js';
import { revocationRoutes } from './routes/revocation.js';
import { tokenRoutes } from './routes/token.js';
import { RevocationCache } from './revocation/cache.js';
import { RevocationService } from './revocation/revocation-service.js';
import type { Services } from './services.js';
import { SessionService } from './sessions/session-service.js';
import { VerifiedTokenCache } from './tokens/verified-cache.js';
import type { Store } from './store/types.js';
import { ConcurrencyLimit } from './users/concurrency-limit.js';
import { createUserService } from './users/user-service.js';
import { registerOpenApi } from './openapi/document.js';
import { CodeService } from './authorization/code-service.js';
import { AuditLog, requestContext } from './audit/audit-log.js';
import { Metrics } from './metrics/metrics.js';
import { registerRequestMetrics } from './metrics/request-metrics.js';
import { ConsentService } from './authorization/consent-service.js';
import { SignInService } from './authorization/sign-in-service.js';
import { AuthorizationService } from './authorization/authorization-service.js';
import { authorizeRoutes } from './routes/authorize.js';
import { signInRoutes } from './routes/sign-in.js';
import { userinfoRoutes } from './routes/userinfo.js';
import { endSessionRoutes } from './routes/end-session.js';
import { accountPageRoutes } from './routes/account-page.js';
import { buildAdminApp } from './admin-app.js';
import { createAdminServices } from './admin/admin-services.js';
import { ClientSync } from './clients/client-sync.js';

/** What buildApp is given rather than creating: state, keys, clients, logger and clock. */
export interface AppDependencies {
  store: Store;
  keyring: KeyRing;
  clients: ClientRegistry;
  logger: FastifyBaseLogger;
  /** Milliseconds since the epoch; tests move it. */
  clock?: () => number;
}

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
    /** The routes' fast lane (perf/fast-lane.ts), on the service's listener; none on the admin API's. */
    fastLane: FastLane | undefined;
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
    // Fastify's two lines per request are replaced by the one of registerRequestLog.
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

/** The services the routes share, built once per app. */
function createServices(config: Config, deps: AppDependencies): Services {
  const clock = deps.clock ?? Date.now;
  const hashing = new ConcurrencyLimit(config.hashing.maxConcurrent, config.hashing.queueTimeoutMs);
  const revocations = new RevocationService(
    deps.store.revocations,
    new RevocationCache(deps.store.revocations, deps.logger, clock),
    config,
    clock,
    (clientId, issuedAt) => deps.clients.issuedToCurrent(clientId, issuedAt),
  );
  const metrics =
    config.metrics &&
    new Metrics({ argon2Queued: () => hashing.queued, revocationFeedLive: () => revocations.cache.live, signingKid: () => deps.keyring.signingKey()?.kid });
  const audit = new AuditLog(deps.logger, config.auditLog, metrics && ((event) => metrics.observeEvent(event)));
  const sessions = new SessionService(deps.store.sessions, config, clock, audit, (clientId, issuedAt) => deps.clients.issuedToCurrent(clientId, issuedAt));
  const codes = new CodeService(deps.store.codes, sessions, audit);
  const consents = new ConsentService(deps.store.consents, sessions, clock, (clientId, grantedAt) => deps.clients.issuedToCurrent(clientId, grantedAt));
  const users = createUserService(deps.store, config, clock, hashing);
  const signIns = new SignInService(deps.store.signIns, sessions, config, clock);
  const clientSync = new ClientSync(deps.store.clients, deps.clients, config.defaultAudience, deps.logger);
  const admin = createAdminServices({
    store: deps.store,
    registry: deps.clients,
    clientSync,
    userService: users,
    sessions,
    signIns,
    audit,
    config,
    clock,
    keysDir: deps.keyring.dir,
    reloadKeys: () => deps.keyring.refresh(),
  });
  return {
    config,
    clock,
    pingStore: () => deps.store.ping(),
    keyring: deps.keyring,
    clients: deps.clients,
    clientSync,
    admin,
    users,
    sessions,
    codes,
    audit,
    consents,
    signIns,
    authorization: new AuthorizationService(codes, consents, config.issuer, clock),
    revocations,
    metrics,
    limit: async () => {},
    verifiedTokens: new VerifiedTokenCache(deps.keyring),
    accessTokens: { keyring: deps.keyring, issuer: config.issuer, ttl: config.accessTokenTtl, clock },
  };
}

/**
 * Shutdown: once closed, the keyring stops reloading, the revocation feed stops and the store closes.
 * Returns whether the app is closing (responses then close their connection: registerResponseHeaders).
 */
function registerShutdown(app: FastifyInstance, deps: AppDependencies, services: Services): () => boolean {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => {
    deps.keyring.close();
    services.clientSync.stop();
    await app.admin?.close();
    await services.revocations.cache.stop();
    await deps.store.close();
  });
  return () => closing;
}

/**
 * Builds the service without listening: tests drive it with `inject` or listen on a loopback port.
 * Closing the app closes the store and stops the keyring's reloads.
 */
export async function buildApp(config: Config, deps: AppDependencies): Promise<FastifyInstance> {
  const services = createServices(config, deps);
  const lane = new FastLane();
  const app = createFastify(config, deps.logger, lane);
  app.decorate('fastLane', lane);
  app.decorate('routeCatalog', [] as RouteOptions[]);
  app.decorate('metrics', services.metrics);
  if (services.metrics) registerRequestMetrics(app, services.metrics);
  app.addHook('onRoute', (route) => {
    app.routeCatalog.push(route);
  });
  const closing = registerShutdown(app, deps, services);
  registerFormParser(app);
  registerErrorHandlers(app);
  registerRequestLog(app);
  registerResponseHeaders(app, config.hstsMaxAge, closing);
  registerCors(app, config.allowedOrigins);
  await registerOpenApi(app, config.issuer);
  await services.revocations.cache.start();
  await services.clientSync.start();
  services.limit = await registerRateLimits(app, config.rateLimits, deps.store.rateLimits, (bucket, request) =>
    services.audit.emit({ event: 'rate_limited', bucket, ...requestContext(request) }),
  );
  deps.keyring.onKeyChange((change) => services.audit.emit(change));

  await app.register(healthRoutes, services);
  await app.register(discoveryRoutes, services);
  await app.register(jwksRoutes, services);
  await app.register(tokenRoutes, services);
  await app.register(revocationRoutes, services);
  await app.register(introspectionRoutes, services);
  await app.register(accountRoutes, services);
  await app.register(forwardAuthRoutes, services);
  await app.register(revocationFeedRoutes, services);
  await app.register(authorizeRoutes, services);
  await app.register(signInRoutes, services);
  await app.register(userinfoRoutes, services);
  await app.register(endSessionRoutes, services);
  await app.register(accountPageRoutes, services);
  app.decorate('admin', config.admin && (await buildAdminApp(config, services, { logger: deps.logger, rateLimits: deps.store.rateLimits }, closing)));
  lane.configure({
    logger: app.log,
    metrics: services.metrics,
    responseHeaders: responseHeaders(config.hstsMaxAge),
    cors: config.allowedOrigins.length > 0,
    closing,
    clientAddress: clientAddress(config.trustProxy),
  });
  return app;
}

/** The client's address as Fastify's `request.ip` reads it: the peer, or with TRUST_PROXY the nearest untrusted hop. */
function clientAddress(trustProxy: Config['trustProxy']): (request: IncomingMessage) => string | undefined {
  if (trustProxy === false) return (request) => request.socket.remoteAddress;
  const trusted = proxyAddr.compile(trustProxy);
  return (request) => proxyAddr(request, trusted);
}
