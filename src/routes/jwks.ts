import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { PUBLIC } from './schemas.js';

const jwksSchema = {
  type: 'object',
  description: 'The public signing keys (RFC 7517 §5), public members only.',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        description: 'An RSA key (kty RSA, n and e) for RS256, or a P-256 key (kty EC, crv, x and y) for ES256 (RFC 7518 §6).',
        required: ['kty', 'kid', 'alg', 'use'],
        properties: {
          kty: { type: 'string', enum: ['RSA', 'EC'] },
          n: { type: 'string' },
          e: { type: 'string' },
          crv: { type: 'string', enum: ['P-256'] },
          x: { type: 'string' },
          y: { type: 'string' },
          kid: { type: 'string', description: 'The RFC 7638 JWK thumbprint (SHA-256).' },
          alg: { type: 'string', enum: ['RS256', 'ES256'], description: 'The one algorithm the key verifies.' },
          use: { type: 'string', enum: ['sig'] },
        },
      },
    },
  },
} as const;

/** True when an If-None-Match header names this entity tag, or is `*` (RFC 9110 §13.1.2, weak comparison). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** GET /.well-known/jwks.json: served from the body the keyring serialized when its keys last changed. */
export async function jwksRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const cacheControl = `public, max-age=${services.config.jwksMaxAge}`;
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        summary: 'Public signing keys',
        security: PUBLIC,
        description: 'The JWKS that verifiers use. Cacheable; answers If-None-Match with 304.',
        tags: ['discovery'],
        response: { 200: jwksSchema, 304: { description: 'Not modified', type: 'null' } },
      },
    },
    // Synchronous: nothing here waits, and an async handler costs a promise and a microtask per request.
    (request, reply) => {
      const { body, etag } = services.keyring.jwks();
      reply.header('cache-control', cacheControl).header('etag', etag);
      if (matchesEtag(request.headers['if-none-match'], etag)) reply.code(304).send();
      else reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
