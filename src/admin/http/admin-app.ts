import type { FastifyBaseLogger, FastifyInstance, RouteOptions } from 'fastify';
import type { Config } from '../../config.js';
import { authenticateAdmin, type AdminAuthServices } from './admin-auth.js';
import { createFastify } from '../../http/fastify.js';
import { registerErrorHandlers } from '../../http/errors.js';
import { registerRateLimits } from '../../http/rate-limits.js';
import { ResponseFinish } from '../../http/response-finish.js';
import { NO_BRANDING } from '../../http/page-branding.js';
import { ENGLISH_ONLY } from '../../http/page-text.js';
import { registerOpenApi } from '../../openapi/document.js';
import { adminClientRoutes } from '../routes/clients.js';
import { adminProviderRoutes } from '../routes/providers.js';
import { adminResourceRoutes } from '../routes/resources.js';
import { adminKeyRoutes } from '../routes/keys.js';
import { adminUserRoutes } from '../routes/users.js';
import type { Services } from '../../services.js';
import type { RateLimitStore } from '../../store/types.js';
import { requestContext } from '../../audit/audit-log.js';

/** Where the admin API's operations say they are served, in openapi.yaml. */
export const ADMIN_SERVER = { url: 'http://127.0.0.1:9000', description: 'The admin listener: ADMIN_HOST and ADMIN_PORT (never the public port).' };

/** What the admin API uses of the services: the admin services, the audit log and what authenticates a call. */
export type AdminAppServices = Pick<Services, 'admin' | 'audit'> & AdminAuthServices;

/**
 * Builds the admin API: /admin/* on a Fastify instance of its own, which server.ts listens with on ADMIN_PORT, so
 * the admin surface is never on the public port. JSON only; every call is limited per IP (RATE_LIMIT_ADMIN_IP) and
 * needs an admin token (authenticateAdmin); errors have the one shape of the service.
 */
export async function buildAdminApp(
  config: Config,
  services: AdminAppServices,
  deps: { logger: FastifyBaseLogger; rateLimits: RateLimitStore },
  closing: () => boolean,
): Promise<FastifyInstance> {
  const app = createFastify(config, deps.logger.child({ listener: 'admin' }));
  app.decorate('routeCatalog', [] as RouteOptions[]);
  app.decorate('metrics', undefined);
  app.decorate('admin', undefined);
  app.decorate('pageBranding', NO_BRANDING);
  app.decorate('pageLocales', ENGLISH_ONLY);
  app.addHook('onRoute', (route) => {
    app.routeCatalog.push(route);
  });
  registerErrorHandlers(app);
  new ResponseFinish({ logger: app.log, metrics: undefined, hstsMaxAge: config.hstsMaxAge }).register(app, closing);
  await registerOpenApi(app, ADMIN_SERVER.url);
  const limit = await registerRateLimits(app, config.rateLimits, deps.rateLimits, (bucket, request) =>
    services.audit.emit({ event: 'rate_limited', bucket, ...requestContext(request) }),
  );
  app.addHook('onRequest', async (request) => {
    await limit('adminIp', request);
    request.admin = await authenticateAdmin(request, services);
  });
  await app.register(adminUserRoutes, services);
  await app.register(adminClientRoutes, services);
  await app.register(adminProviderRoutes, services);
  await app.register(adminResourceRoutes, services);
  await app.register(adminKeyRoutes, services);
  await app.ready();
  return app;
}
