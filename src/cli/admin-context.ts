import type { Writable } from 'node:stream';
import type { AdminServices } from '../admin/admin-services.js';
import { KeyAdmin } from '../admin/keys.js';
import { AuditLog } from '../audit/audit-log.js';
import { ClientRegistry } from '../clients/registry.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createDomainServices } from '../services.js';
import { openStore } from '../store/open.js';

/**
 * Runs `work` with the admin services over the store the service uses, wired as the service wires them; the audit events
 * go to `log` (the CLI's standard error), so standard output holds only the command's answer. The embedded store is
 * refused: it lives in one process only, and what a command wrote there would die with it.
 */
export async function withAdmin<T>(config: Config, log: Writable, clock: () => number, work: (admin: AdminServices) => Promise<T>): Promise<T> {
  if (config.store === 'memory')
    throw new ConfigError('REDIS_URL', 'this command writes to the store the service uses; set REDIS_URL (the embedded store lives in one process only)');
  const logger = createLogger('error', log);
  const store = await openStore(config, logger, clock);
  try {
    const registry = ClientRegistry.load(config.clientsFile, config.defaultAudience);
    const audit = new AuditLog(createLogger('info', log), config.auditLog);
    const services = createDomainServices(config, { store, clients: registry, logger, clock, audit, keys: { dir: config.keysDir } });
    await Promise.all([services.clientSync.refresh(), services.providerSync.refresh()]);
    return await work(services.admin);
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
