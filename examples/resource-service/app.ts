/**
 * A tiny resource service that trusts tokensmith's access tokens through the verifier package,
 * `@tokensmith/verifier` (its Fastify plugin from `@tokensmith/verifier/fastify`).
 */
import { createVerifier, type VerifierOptions } from '@tokensmith/verifier';
import { fastifyVerifier, requireScope } from '@tokensmith/verifier/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

/** How the example service is set up. */
export interface ResourceServiceOptions {
  issuer: string;
  audience: string;
  jwks?: VerifierOptions['jwks'];
  revocations?: VerifierOptions['revocations'];
  /** Its base URL as clients call it (through a gateway), for the htu of DPoP proofs; the request's own by default. */
  publicUrl?: string;
}

/** Builds the service: GET /health is public; /api/orders needs a valid token, and POST also orders:write. */
export async function buildResourceService(options: ResourceServiceOptions): Promise<FastifyInstance> {
  const verifier = createVerifier({
    issuer: options.issuer,
    audience: options.audience,
    ...(options.jwks ? { jwks: options.jwks } : {}),
    ...(options.revocations ? { revocations: options.revocations } : {}),
  });
  const app = Fastify();
  app.addHook('onClose', async () => verifier.close());
  app.get('/health', async () => ({ status: 'ok' }));

  await app.register(async (api) => {
    await api.register(fastifyVerifier, { verifier, realm: 'orders', ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });
    api.get('/api/orders', async (request) => ({
      subject: request.auth!.sub,
      client_id: request.auth!.clientId,
      scope: request.auth!.scope,
      // Set by a gateway in front (nginx auth_request); the token was verified here as well.
      gateway_subject: request.headers['x-auth-subject'] ?? null,
      gateway_session: request.headers['x-auth-session'] ?? null,
    }));
    api.post('/api/orders', { preHandler: requireScope('orders:write') }, async (request, reply) => reply.code(201).send({ created_by: request.auth!.sub }));
  });
  return app;
}
