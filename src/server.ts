import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { ClientRegistry } from './clients/registry.js';
import { loadConfig, type Config } from './config.js';
import { ConfigError } from './errors.js';
import { KeyRing } from './keys/keyring.js';
import { listenMetrics } from './metrics/metrics-server.js';
import type { Logger } from 'pino';
import { createLogger } from './logger.js';
import { unknownSettings } from './settings.js';
import { exitOnUnsupportedNode } from './node-version.js';
import { openStore } from './store/open.js';
import { listenWhileStarting } from './http/starting-listener.js';
import { redisAddress } from './store/redis/topology.js';
import type { Store } from './store/types.js';

/** How long shutdown may wait for in-flight requests before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Warns when the issuer is plain http on a host other than loopback: tokens, passwords and the refresh cookie
 * would then cross the network in clear (RFC 6749 §10.9, RFC 8414 §2 wants https).
 */
function warnOnPlainIssuer(issuer: string, logger: Logger): void {
  const { protocol, hostname } = new URL(issuer);
  const loopback = hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
  if (protocol === 'http:' && !loopback) logger.warn({ issuer }, 'ISSUER is plain http on a non-loopback host: serve it over https behind a TLS proxy');
}

/** Warns about each variable that looks like a setting but is none (a misspelling would otherwise be ignored); never its value. */
function warnOnUnknownSettings(env: Record<string, string | undefined>, logger: Logger): void {
  for (const { name, meant } of unknownSettings(env)) {
    const line =
      meant === undefined
        ? `${name} is not a setting of this service and is ignored (docs/reference/configuration.md lists them)`
        : `${name} is not a setting of this service and is ignored: did you mean ${meant}?`;
    logger.warn({ variable: name, ...(meant === undefined ? {} : { meant }) }, line);
  }
}

/**
 * Warns, once each at start, about what production should not have by accident: open registration (anyone can make
 * an account), authenticator apps' keys stored unsealed (no MFA_SECRET_KEY), and clients allowed the password grant (RFC 9700 §2.4: only for the service's own first-party apps).
 */
function warnOnProductionPosture(config: Config, clients: ClientRegistry, logger: Logger): void {
  if (!config.production) return;
  if (config.registration === 'open') {
    logger.warn({ setting: 'REGISTRATION' }, 'REGISTRATION is open in production: anyone can create an account; set REGISTRATION=closed unless that is meant');
  }
  if (config.mfaSecretKey === undefined) {
    logger.warn(
      { setting: 'MFA_SECRET_KEY' },
      "MFA_SECRET_KEY is not set in production: authenticator apps' keys are stored unsealed; set it (openssl rand -base64 32)",
    );
  }
  const password = clients
    .fileClients()
    .filter((client) => client.grantTypes.has('password'))
    .map((client) => client.clientId);
  if (password.length > 0) {
    const where = config.clientsFile === undefined ? 'the default client web (set CLIENTS_FILE)' : 'CLIENTS_FILE';
    logger.warn(
      { setting: 'CLIENTS_FILE', clients: password },
      `clients allowed the password grant in production: ${password.join(', ')}; it suits only your own first-party apps (RFC 9700 §2.4), change ${where} unless that is meant`,
    );
  }
}

/** Reads the configuration, opens store and keys, builds the app and listens. */
export async function startServer(env: Record<string, string | undefined> = process.env): Promise<FastifyInstance> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  warnOnUnknownSettings(env, logger);
  warnOnPlainIssuer(config.issuer, logger);
  // With Redis, the port answers from the start (health probes, 503 elsewhere), however long Redis takes to answer.
  const starting =
    config.redis === undefined
      ? undefined
      : await listenWhileStarting({
          port: config.port,
          host: config.host,
          hstsMaxAge: config.hstsMaxAge,
          waitingFor: `Redis at ${redisAddress(config.redis)}`,
        });
  let store: Store;
  try {
    store = await openStore(config, logger);
  } catch (error) {
    await starting?.close();
    throw error;
  }
  starting?.waitingFor('the service to finish starting');
  try {
    const keyring = await KeyRing.open({ ...config, dir: config.keysDir, production: config.production, logger });
    const clients = ClientRegistry.load(config.clientsFile, config.defaultAudience);
    warnOnProductionPosture(config, clients, logger);
    const app = await buildApp(config, { store, keyring, clients, logger });
    keyring.watch();
    if (app.metrics && config.metrics) {
      // Its own listener, closed with the app; on loopback unless METRICS_HOST says otherwise.
      const metricsServer = await listenMetrics(app.metrics, config.metrics.host, config.metrics.port);
      app.addHook('onClose', async () => {
        await new Promise((resolve) => metricsServer.close(resolve));
      });
      logger.info({ host: config.metrics.host, port: (metricsServer.address() as { port: number }).port }, 'metrics listening');
    }
    if (app.admin && config.admin) {
      // Its own listener, closed with the app; on loopback unless ADMIN_HOST says otherwise.
      await app.admin.listen({ port: config.admin.port, host: config.admin.host });
      logger.info({ host: config.admin.host, port: (app.admin.server.address() as { port: number }).port }, 'admin API listening');
    }
    await starting?.close();
    await app.listen({ port: config.port, host: config.host });
    return app;
  } catch (error) {
    await starting?.close();
    await store.close();
    throw error;
  }
}

/**
 * Stops gracefully: no new connections, in-flight requests finish, then the store closes.
 * A second signal, or the grace period running out, exits at once.
 */
export function closeOnSignals(app: FastifyInstance): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Ends a start that failed: one clear line (a bad setting, or what went wrong) and exit code 1, never a stack trace. */
export function exitOnStartFailure(error: unknown): never {
  const line = error instanceof ConfigError ? `configuration error: ${error.message}` : `start-up failed: ${(error as Error).message}`;
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  exitOnUnsupportedNode('start-up failed: ');
  let app: FastifyInstance;
  try {
    app = await startServer();
  } catch (error) {
    exitOnStartFailure(error);
  }
  process.on('unhandledRejection', (reason) => app.log.error({ err: reason }, 'unhandled rejection'));
  closeOnSignals(app);
}

/** True when this file is the process's entry point rather than an import. */
function isEntryPoint(): boolean {
  return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (isEntryPoint()) await main();
