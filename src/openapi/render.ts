import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../app.js';
import { ClientRegistry } from '../clients/registry.js';
import { loadConfig } from '../config.js';
import { KeyRing } from '../keys/keyring.js';
import { createLogger } from '../logger.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { errorSchema } from '../routes/schemas.js';
import { openApiDocument } from './document.js';
import { toYaml } from './yaml.js';

/** The document head of openapi.yaml. */
export const DOCUMENT_INFO = {
  title: 'tokensmith',
  version: '0.1.0',
  description: 'A standalone token authorization service: RS256 JWT access tokens (RFC 9068), JWKS, RFC 8414 discovery.',
  // The package is private and names no license; npm's word for that.
  license: { name: 'UNLICENSED' },
};

/** Builds the app with throwaway state and renders openapi.yaml from its routes. */
export async function renderOpenApi(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  const logger = createLogger('silent');
  const dir = await mkdtemp(join(tmpdir(), 'tokensmith-openapi-'));
  try {
    const keyring = await KeyRing.open({ ...config, dir, production: false, logger });
    const app = await buildApp(config, { store: new MemoryStore(), keyring, clients: ClientRegistry.load(undefined, config.defaultAudience), logger });
    await app.ready();
    const yaml = toYaml(openApiDocument(app.routeCatalog, DOCUMENT_INFO, errorSchema, config.issuer));
    await app.close();
    return yaml;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
