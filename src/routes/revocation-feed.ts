import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauthError } from '../errors.js';
import { type ClientAuthServices, requestClient } from '../http/client-auth.js';
import type { RouteServices } from '../services.js';
import type { RevocationEntry } from '../store/types.js';
import { assertIntrospector } from './introspection.js';
import { SECURITY_HEADERS } from '../http/security-headers.js';
import { errorResponses } from './schemas.js';

/** What these routes use of the services. */
export type RevocationFeedServices = Pick<RouteServices, 'limit' | 'revocations'> & ClientAuthServices;

/** Seconds between keep-alive comments, so idle proxies do not cut the stream. */
const KEEP_ALIVE_MS = 15_000;
/** What a disconnected EventSource waits before reconnecting (the SSE `retry` field). */
const RETRY_MS = 2000;

const feedSchema = {
  summary: 'Revocation feed',
  security: [{ basicAuth: [] }],
  description:
    'Server-sent events: first every live revoked jti and sid, then `event: ready`, then each new revocation on any instance as `event: revoked` with data {"kind":"jti"|"sid","id":…,"exp":…}. For confidential clients with the introspect scope (HTTP Basic). The stream ends when this instance stops receiving revocations; reconnect and start over.',
  tags: ['gateway'],
  response: {
    200: {
      description: 'The event stream',
      content: { 'text/event-stream': { schema: { type: 'string', description: 'Server-sent events (revoked, ready), as described above.' } } },
    },
    ...errorResponses(401, 403, 503),
  },
};

function event(name: string, data: object): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** GET /oauth/revocations: the revocation lists as a server-sent event stream. */
export async function revocationFeedRoutes(app: FastifyInstance, services: RevocationFeedServices): Promise<void> {
  const streams = new Set<FastifyReply>();
  // Open streams would hold a graceful shutdown for its whole grace period.
  app.addHook('preClose', async () => {
    for (const reply of streams) reply.raw.end();
  });

  // No HEAD: an event stream has no end for a HEAD request to wait for.
  app.get('/oauth/revocations', { schema: feedSchema, exposeHeadRoute: false }, async (request: FastifyRequest, reply) => {
    await services.limit('otherIp', request);
    const client = await requestClient(services, request, {});
    assertIntrospector(client, 'subscribe');
    const cache = services.revocations.cache;
    if (!cache.live) throw oauthError('temporarily_unavailable', 'the revocation feed is not available', { 'retry-after': '2' });

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    raw.write(`retry: ${RETRY_MS}\n\n`);
    for (const entry of cache.entries()) raw.write(event('revoked', entry));
    raw.write(event('ready', { live: true }));

    const onEntry = (entry: RevocationEntry) => raw.write(event('revoked', entry));
    const onDown = () => raw.end();
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    cache.on('entry', onEntry);
    cache.on('down', onDown);
    streams.add(reply);
    raw.on('close', () => {
      clearInterval(keepAlive);
      cache.off('entry', onEntry);
      cache.off('down', onDown);
      streams.delete(reply);
      request.log.info({ method: 'GET', path: '/oauth/revocations', status: 200, client_id: client.clientId }, 'revocation feed closed');
    });
  });
}
