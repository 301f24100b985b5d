import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Teardown } from './app.js';
import { freePort } from './redis-server.js';
import { testCertificates } from './tls.js';

/** An https server on 127.0.0.1 serving client ID metadata documents, with the CA a service must trust to read them. */
export interface DocumentHost {
  /** https://127.0.0.1:<port> */
  base: string;
  /** The PEM of the test CA that issued its certificate. */
  ca: Buffer;
  /** How many times each path was asked for. */
  requests: Map<string, number>;
  /** Serves `body` at `path`, with these headers (JSON and no Cache-Control by default). */
  serve(path: string, body: unknown, headers?: Record<string, string>, status?: number): void;
}

/** Starts a document host for one test, closed at teardown. */
export async function documentHost(t: Teardown): Promise<DocumentHost> {
  const certificates = await testCertificates(t);
  const routes = new Map<string, { body: string; headers: Record<string, string>; status: number }>();
  const requests = new Map<string, number>();
  const server = createServer({ key: certificates.key, cert: certificates.cert }, (request, response) => {
    const path = request.url ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route === undefined) return response.writeHead(404).end();
    response.writeHead(route.status, route.headers).end(route.body);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return {
    base: `https://127.0.0.1:${port}`,
    ca: await readFile(certificates.caFile),
    requests,
    serve(path, body, headers = {}, status = 200) {
      routes.set(path, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers }, status });
    },
  };
}
