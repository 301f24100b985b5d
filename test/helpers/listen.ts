import { createServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Teardown, TestApp, TestAppOptions } from './app.js';
import { buildTestApp } from './app.js';
import { freePort } from './redis-server.js';

/** A test app listening on a loopback port, its issuer being its own address. */
export interface ListeningApp extends TestApp {
  base: string;
  port: number;
}

/** Builds the app with ISSUER set to a free loopback port and listens there. */
export async function listenTestApp(t: Teardown, options: TestAppOptions = {}): Promise<ListeningApp> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const built = await buildTestApp(t, { ...options, config: { ...options.config, issuer: base } });
  await built.app.listen({ port, host: '127.0.0.1' });
  return { ...built, base, port };
}

/** Listens any Fastify app on a free loopback port, closed at teardown. */
export async function listenOn(t: Teardown, app: FastifyInstance): Promise<string> {
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return `http://127.0.0.1:${port}`;
}

/** Polls a URL until it answers 2xx or the time is up; true when it did (a refused connection counts as not yet). */
export function answersOk(url: string, ms: number, every: number): Promise<boolean> {
  const answers = () =>
    fetch(url).then(
      (response) => response.ok,
      () => false,
    );
  return eventually(answers, ms, every);
}

/** Polls until the condition holds or the time is up; true when it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, ms = 5000, every = 20): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  return false;
}

/** Serves one HTML page at every path on a loopback port (a browser app's origin in the browser tests), closed at teardown. */
export async function servePage(t: Teardown, port: number, html: string): Promise<void> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
}
