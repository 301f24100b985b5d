import type { FastifyInstance } from 'fastify';
import type { LaneAnswer, LaneRoute } from '../http/lane-route.js';
import type { RouteServices } from '../services.js';
import { PUBLIC } from './schemas.js';
import { BROWSER_API } from '../http/cors.js';

/** What these routes use of the services. */
export type JwksServices = Pick<RouteServices, 'config' | 'keyring'>;

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

/** The JWKS's path (RFC 8414 §3 names it in the metadata as jwks_uri). */
const JWKS_PATH = '/.well-known/jwks.json';

/** The headers of a JWKS answer: cacheable for JWKS_MAX_AGE, with the entity tag of the current keys. */
function jwksHeaders(cacheControl: string, etag: string): Record<string, string> {
  return { 'cache-control': cacheControl, etag };
}

/** The JSON media type of the JWKS body. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** GET /.well-known/jwks.json: served from the body the keyring serialized when its keys last changed. */
export async function jwksRoutes(app: FastifyInstance, services: JwksServices): Promise<void> {
  const cacheControl = `public, max-age=${services.config.jwksMaxAge}`;
  app.get(
    JWKS_PATH,
    {
      schema: {
        summary: 'Public signing keys',
        security: PUBLIC,
        description: 'The JWKS that verifiers use. Cacheable; answers If-None-Match with 304.',
        tags: ['discovery'],
        response: { 200: jwksSchema, 304: { description: 'Not modified', type: 'null' } },
      },
      config: { ...BROWSER_API, lane: jwksLane(services.keyring, cacheControl) },
    },
    // Synchronous: nothing here waits, and an async handler costs a promise and a microtask per request.
    (request, reply) => {
      const { body, etag } = services.keyring.jwks();
      reply.headers(jwksHeaders(cacheControl, etag));
      if (matchesEtag(request.headers['if-none-match'], etag)) reply.code(304).send();
      else reply.type(JSON_TYPE).send(body);
    },
  );
}

/** The fast lane's JWKS (http/fast-lane.ts): a verifier's plain GET, without If-None-Match, answered as the route does. */
function jwksLane(keyring: JwksServices['keyring'], cacheControl: string): LaneRoute {
  let answer: LaneAnswer = { status: 200, headers: {}, body: '' };
  let answered = '';
  return {
    route: JWKS_PATH,
    matches: (path) => path === JWKS_PATH,
    answer(_query, headers) {
      if (headers['if-none-match'] !== undefined) return undefined;
      const { body, etag } = keyring.jwks();
      if (etag !== answered) {
        answer = { status: 200, headers: { ...jwksHeaders(cacheControl, etag), 'content-type': JSON_TYPE }, body };
        answered = etag;
      }
      return answer;
    },
  };
}
