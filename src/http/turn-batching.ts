import type { IncomingMessage, ServerResponse } from 'node:http';

/** An HTTP server's request listener. */
export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * An optimisation: handles each request in the check phase of the event-loop turn that read it (setImmediate)
 * instead of inside the socket's read callback. A turn then reads every request that is ready before it answers
 * any, and the answers leave together: under load the next requests also come back together, so the loop runs
 * fewer, fuller turns (fewer epoll waits and wake-ups per request). At light load it costs one hop of the loop.
 * It buys requests per second on the cheap routes (JWKS, forward-auth, introspection); removing it changes no
 * behaviour. It wraps the server's listener rather than being a Fastify hook: a hook costs every request.
 * Measure it with `node bench/ab.mjs DIST_A DIST_B` (docs/performance.md has the last figures).
 */
export function batchTurns(listener: RequestListener): RequestListener {
  return (request, response) => setImmediate(listener, request, response);
}
