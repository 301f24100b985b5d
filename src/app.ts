import { pushedAuthorizationRoutes } from './oidc/routes/pushed-authorization.js';
import { deviceAuthorizationRoutes } from './oidc/routes/device-authorization.js';
import { devicePageRoutes } from './oidc/routes/device.js';
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
import { ResponseFinish } from './http/response-finish.js';
import { loadPageBranding } from './http/page-branding.js';
import { loadPageLocales } from './http/page-text.js';
import { pageAssetRoutes } from './routes/page-assets.js';
import { FastLane } from './http/fast-lane.js';
import type { KeyRing } from './keys/keyring.js';
import { accountRoutes } from './accounts/routes/account-api.js';
import { forwardAuthRoutes } from './routes/forward-auth.js';
import { revocationFeedRoutes } from './routes/revocation-feed.js';
import { discoveryRoutes } from './oidc/routes/discovery.js';
import { resourceMetadataRoutes } from './resources/routes/resource-metadata.js';
import { registrationRoutes } from './clients/routes/registration.js';
import { healthRoutes } from './routes/health.js';
import { introspectionRoutes } from './routes/introspection.js';
import { jwksRoutes } from './routes/jwks.js';
import { revocationRoutes } from './routes/revocation.js';
import { tokenRoutes } from './routes/token.js';
import { createServices, type RouteServices, type Services } from './services.js';
import type { Store } from './store/types.js';
import { registerOpenApi } from './openapi/document.js';
import { requestContext } from './audit/audit-log.js';
import { authorizeRoutes } from './oidc/routes/authorize.js';
import { signInRoutes } from './oidc/routes/sign-in.js';
import { secondStepRoutes } from './oidc/routes/second-step.js';
import { federationRoutes } from './federation/routes/federation-pages.js';
import { userinfoRoutes } from './oidc/routes/userinfo.js';
import { endSessionRoutes } from './oidc/routes/end-session.js';
import { accountPageRoutes } from './accounts/routes/account-page.js';
import { emailPageRoutes } from './accounts/routes/email-pages.js';
import { buildAdminApp } from './admin/http/admin-app.js';

/** What buildApp is given rather than creating: state, keys, clients, logger and clock. */
export interface AppDependencies {
  store: Store;
  keyring: KeyRing;
  clients: ClientRegistry;
  logger: FastifyBaseLogger;
  /** Milliseconds since the epoch; tests move it. */
  clock?: () => number;
}

/**
 * Shutdown: once closed, the keyring stops reloading, the revocation feed stops and the store closes.
 * Returns whether the app is closing (responses then close their connection: ResponseFinish).
 */
function registerShutdown(app: FastifyInstance, deps: AppDependencies, services: Services): () => boolean {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => {
    deps.keyring.close();
    services.clientSync.stop();
    services.providerSync.stop();
    services.resourceSync.stop();
    services.registrationExpiry.stop();
    await services.keyRotation?.stop();
    await services.outboxWorker?.stop();
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
  const services = createServices(config, { ...deps, clock: deps.clock ?? Date.now });
  const lane = new FastLane();
  const app = createFastify(config, deps.logger, lane);
  app.decorate('fastLane', lane);
  app.decorate('routeCatalog', [] as RouteOptions[]);
  app.decorate('metrics', services.metrics);
  app.decorate('pageBranding', await loadPageBranding(config.pages));
  app.decorate('pageLocales', await loadPageLocales(config.pages.localesDir));
  const finish = new ResponseFinish({ logger: app.log, metrics: services.metrics, hstsMaxAge: config.hstsMaxAge });
  app.addHook('onRoute', (route) => {
    app.routeCatalog.push(route);
    // A route declares what the lane may answer for it in its configuration; it never reaches the lane itself.
    if (route.config?.lane !== undefined) lane.add(route.config.lane);
  });
  const closing = registerShutdown(app, deps, services);
  registerFormParser(app);
  registerErrorHandlers(app);
  finish.register(app, closing);
  registerCors(app, config.allowedOrigins);
  await registerOpenApi(app, config.issuer);
  await services.revocations.cache.start();
  await services.clientSync.start();
  await services.providerSync.start();
  await services.resourceSync.start();
  services.outboxWorker?.start();
  services.registrationExpiry.start();
  services.keyRotation?.start();
  const limit = await registerRateLimits(app, config.rateLimits, deps.store.rateLimits, (bucket, request) =>
    services.audit.emit({ event: 'rate_limited', bucket, ...requestContext(request) }),
  );
  const routes: RouteServices = { ...services, limit };
  deps.keyring.onKeyChange((change) => services.audit.emit(change));

  await app.register(healthRoutes, routes);
  await app.register(discoveryRoutes, routes);
  await app.register(resourceMetadataRoutes, routes);
  await app.register(jwksRoutes, routes);
  await app.register(tokenRoutes, routes);
  await app.register(deviceAuthorizationRoutes, routes);
  await app.register(pushedAuthorizationRoutes, routes);
  await app.register(registrationRoutes, routes);
  await app.register(revocationRoutes, routes);
  await app.register(introspectionRoutes, routes);
  await app.register(accountRoutes, routes);
  await app.register(forwardAuthRoutes, routes);
  await app.register(revocationFeedRoutes, routes);
  await app.register(authorizeRoutes, routes);
  await app.register(signInRoutes, routes);
  await app.register(secondStepRoutes, routes);
  await app.register(devicePageRoutes, routes);
  await app.register(federationRoutes, routes);
  await app.register(userinfoRoutes, routes);
  await app.register(endSessionRoutes, routes);
  await app.register(accountPageRoutes, routes);
  await app.register(emailPageRoutes, routes);
  await app.register(pageAssetRoutes);
  app.decorate('admin', config.admin && (await buildAdminApp(config, services, { logger: deps.logger, rateLimits: deps.store.rateLimits }, closing)));
  lane.configure({
    logger: app.log,
    finish,
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
