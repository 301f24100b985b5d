import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyBaseLogger, FastifyInstance, RouteOptions } from 'fastify';
import type { ClientRegistry } from './clients/registry.js';
import type { Config } from './config.js';
import { registerCors } from './http/cors.js';
import { createFastify } from './http/fastify.js';
import { registerErrorHandlers } from './http/errors.js';
import { registerFormParser } from './http/form-body.js';
import { registerRateLimits } from './http/rate-limits.js';
import { registerRequestLog } from './http/request-log.js';
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
