import { connect, type Socket } from 'node:net';
import { createServer } from 'node:http';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { batchTurns } from '../../src/http/turn-batching.js';

/** Sends one keep-alive GET on a connected socket and resolves with the response's status line. */
function get(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1').split('\r\n')[0]!));
    socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\n\r\n`);
  });
}

/**
 * Serves two requests that reach the server's receive buffers together (the loop is held while both
 * are sent, on two warm keep-alive connections, so that one poll finds both) and returns the order in
 * which the app read and handled them.
 */
async function orderOfTwoReadyRequests(t: Test, batching: boolean): Promise<string[]> {
  const events: string[] = [];
  const app = Fastify({
    // The server as the service's (http/fast-lane.ts) builds it: the app's handler behind batchTurns, or not.
    serverFactory: (handler) =>
      createServer((request, response) => {
        events.push(`read ${request.url}`);
        (batching ? batchTurns(handler) : handler)(request, response);
      }),
  });
  app.get('/:name', (request, reply) => {
    events.push(`handled ${request.url}`);
    reply.send('ok');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as { port: number };
  const sockets = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
  t.teardown(() => sockets.forEach((socket) => socket.destroy()));
  for (const [i, socket] of sockets.entries()) t.match(await get(socket, `/warm${i}`), /^HTTP\/1.1 200/);
  events.length = 0;

  const answers = [get(sockets[0]!, '/a'), get(sockets[1]!, '/b')];
  const until = Date.now() + 30;
  while (Date.now() < until) {
    // holding the loop until both requests are surely in the kernel's buffers
  }
  t.same(await Promise.all(answers), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
  return events;
}

t.test('requests that are ready in the same loop turn are all read before any is handled (real sockets)', async (t) => {
  t.same(await orderOfTwoReadyRequests(t, true), ['read /a', 'read /b', 'handled /a', 'handled /b']);
});

t.test('the control: without it, the same requests are handled one by one as they are read', async (t) => {
  t.same(await orderOfTwoReadyRequests(t, false), ['read /a', 'handled /a', 'read /b', 'handled /b']);
});
