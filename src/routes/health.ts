import type { FastifyInstance } from 'fastify';
import type { RouteServices } from '../services.js';
import { PUBLIC } from './schemas.js';

/** What these routes use of the services. */
export type HealthServices = Pick<RouteServices, 'keyring' | 'pingStore'>;

/** How long /readyz waits for the store before calling it unavailable. */
export const READY_TIMEOUT_MS = 1000;

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string' },
    store: { type: 'string' },
    signing_key: { type: 'string' },
    reason: { type: 'string', description: 'While the service starts: what it waits for (`waiting for Redis at 127.0.0.1:6379`).' },
  },
} as const;

async function storeAnswers(services: HealthServices): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([services.pingStore().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz (liveness) and GET /readyz (the store answers and a key can sign). */
export async function healthRoutes(app: FastifyInstance, services: HealthServices): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        description: '200 while the process serves.',
        tags: ['operations'],
        security: PUBLIC,
        response: { 200: { ...statusSchema, description: 'The process serves.' } },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness',
        security: PUBLIC,
        description: '200 while the store answers and a signing key is loaded; 503 otherwise.',
        tags: ['operations'],
        response: {
          200: { ...statusSchema, description: 'Ready: the store answers and a signing key is loaded.' },
          503: {
            ...statusSchema,
            description:
              'Not ready: the store does not answer, or no signing key is loaded; while the service starts (Redis not answering yet), `reason` says what it waits for.',
          },
        },
      },
    },
    async (_request, reply) => {
      const store = await storeAnswers(services);
      const signingKey = services.keyring.signingKey() !== undefined;
      const ready = store && signingKey;
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'unavailable', store: store ? 'ok' : 'unavailable', signing_key: signingKey ? 'ok' : 'missing' });
    },
  );
}
