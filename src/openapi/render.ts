import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../app.js';
import { ClientRegistry } from '../clients/registry.js';
import { loadConfig } from '../config.js';
import { KeyRing } from '../keys/keyring.js';
import { createLogger } from '../logger.js';
import { MemoryStore } from '../store/memory/memory-store.js';

/** Builds the app with throwaway state and renders openapi.yaml from its routes (@fastify/swagger, registered by buildApp). */
export async function renderOpenApi(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  const logger = createLogger('silent');
  const dir = await mkdtemp(join(tmpdir(), 'tokensmith-openapi-'));
  try {
    const keyring = await KeyRing.open({ ...config, dir, production: false, logger });
    const app = await buildApp(config, { store: new MemoryStore(), keyring, clients: ClientRegistry.load(undefined, config.defaultAudience), logger });
    await app.ready();
    const yaml = app.swagger({ yaml: true });
    await app.close();
    return yaml;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
