import type { Writable } from 'node:stream';
import type { AdminServices } from '../admin/admin-services.js';
import { createAdminServices } from '../admin/admin-services.js';
import { KeyAdmin } from '../admin/keys.js';
import { AuditLog } from '../audit/audit-log.js';
import { SignInService } from '../authorization/sign-in-service.js';
import { ClientSync } from '../clients/client-sync.js';
import { ClientRegistry } from '../clients/registry.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../logger.js';
import { SessionService } from '../sessions/session-service.js';
import { openStore } from '../store/open.js';
import { createUserService } from '../users/user-service.js';

/**
 * Runs `work` with the admin services over the store the service uses, as the admin API has them; the audit events
 * go to `log` (the CLI's standard error), so standard output holds only the command's answer. The embedded store is
 * refused: it lives in one process only, and what a command wrote there would die with it.
 */
export async function withAdmin<T>(config: Config, log: Writable, clock: () => number, work: (admin: AdminServices) => Promise<T>): Promise<T> {
  if (config.store === 'memory')
    throw new ConfigError('REDIS_URL', 'this command writes to the store the service uses; set REDIS_URL (the embedded store lives in one process only)');
  const logger = createLogger('error', log);
  const store = await openStore(config, logger, clock);
  try {
    const audit = new AuditLog(createLogger('info', log), config.auditLog);
    const registry = ClientRegistry.load(config.clientsFile, config.defaultAudience);
    const clientSync = new ClientSync(store.clients, registry, config.defaultAudience, logger);
    await clientSync.refresh();
    const sessions = new SessionService(store.sessions, config, clock, audit, (clientId, issuedAt) => registry.issuedToCurrent(clientId, issuedAt));
    return await work(
      createAdminServices({
        store,
        registry,
        clientSync,
        userService: createUserService(store, config, clock),
        sessions,
        signIns: new SignInService(store.signIns, sessions, config, clock),
        audit,
        config,
        clock,
        keysDir: config.keysDir,
      }),
    );
  } finally {
    await store.close();
  }
}

/** The key commands' KeyAdmin: KEYS_DIR and the lifecycle times of the configuration; no store needed. */
export function keyAdmin(config: Config, log: Writable, clock: () => number): KeyAdmin {
  return new KeyAdmin({
    dir: config.keysDir,
    times: config,
    signingAlg: config.signingAlg,
    audit: new AuditLog(createLogger('info', log), config.auditLog),
    clock,
  });
}
