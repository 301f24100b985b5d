import { createServer } from 'node:http';
import { responseHeaders } from './security-headers.js';

/** The listener of a service that cannot serve yet; `close` hands the port to the app. */
export interface StartingListener {
  /** What the service is waiting for, as /readyz and every refusal say it ("Redis at 127.0.0.1:6379"). */
  waitingFor(what: string): void;
  close(): Promise<void>;
}

/**
 * Listens on the service's port from the first moment, before the store answers: an orchestrator's liveness probe
 * (`/healthz`: 200, the process is alive) and readiness probe (`/readyz`: 503 and what it waits for) get their
 * answers, and every other request a 503 `temporarily_unavailable` with `Retry-After` (RFC 6749 §5.2's error shape,
 * RFC 9110 §10.2.3), instead of a refused connection. The app takes the port over once it is built.
 */
export async function listenWhileStarting(settings: { port: number; host: string; hstsMaxAge: number; waitingFor: string }): Promise<StartingListener> {
  let waitingFor = settings.waitingFor;
  const headers = { ...responseHeaders(settings.hstsMaxAge), 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  const server = createServer((request, response) => {
    const url = request.url ?? '';
    const path = url.split('?')[0];
    const answer =
      path === '/healthz'
        ? { status: 200, body: { status: 'ok' } }
        : path === '/readyz'
          ? { status: 503, body: { status: 'unavailable', store: 'unavailable', reason: `waiting for ${waitingFor}` } }
          : { status: 503, body: { error: 'temporarily_unavailable', error_description: `the service is starting: waiting for ${waitingFor}` }, retry: true };
    const text = JSON.stringify(answer.body);
    response.writeHead(answer.status, { ...headers, ...('retry' in answer ? { 'retry-after': '5' } : {}), 'content-length': Buffer.byteLength(text) });
    response.end(request.method === 'HEAD' ? undefined : text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  return {
    waitingFor(what) {
      waitingFor = what;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
