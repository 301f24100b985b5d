import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { ADMIN_SERVER } from '../admin/http/admin-app.js';
import { buildApp } from '../app.js';
import { ClientRegistry } from '../clients/registry.js';
import { loadConfig } from '../config.js';
import { KeyRing } from '../keys/keyring.js';
import { createLogger } from '../logger.js';
import { MemoryStore } from '../store/memory/memory-store.js';

type Document = { paths: Record<string, Record<string, unknown>>; tags?: unknown } & Record<string, unknown>;

/**
 * One document for both listeners: the service's operations, then the admin API's (tag `admin`), each of whose
 * paths names the admin listener as its server (OpenAPI 3.1 §4.8.9.1), so that no client reads them as public.
 */
export function mergedDocument(app: FastifyInstance): Document {
  const service = app.swagger() as unknown as Document;
  if (!app.admin) return service;
  const admin = app.admin.swagger() as unknown as Document;
  const adminPaths = Object.fromEntries(Object.entries(admin.paths).map(([path, item]) => [path, { servers: [{ ...ADMIN_SERVER }], ...item }]));
  return { ...service, paths: { ...service.paths, ...adminPaths } };
}

/** Builds the app (with the admin API) from throwaway state and renders openapi.yaml from its routes (@fastify/swagger). */
export async function renderOpenApi(): Promise<string> {
  const config = { ...loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' }), admin: { port: 0, host: '127.0.0.1' } };
  const logger = createLogger('silent');
  const dir = await mkdtemp(join(tmpdir(), 'tokensmith-openapi-'));
  try {
    const keyring = await KeyRing.open({ ...config, dir, production: false, logger });
    const app = await buildApp(config, { store: new MemoryStore(), keyring, clients: ClientRegistry.load(undefined, config.defaultAudience), logger });
    await app.ready();
    // The same serializer and options as @fastify/swagger's own yaml output.
    const yaml = stringify(mergedDocument(app), { strict: false });
    await app.close();
    return yaml;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
