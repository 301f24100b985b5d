// The load generator's ceiling: the least a server can do per request, so that what limits the rate is the load
// generator itself. It answers every GET with the same fixed keep-alive response, written straight to the socket
// (no HTTP parser: requests are counted by their blank line). Usage: node bench/trivial.mjs PORT
import { createServer } from 'node:net';

const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}');

createServer((socket) => {
  socket.setNoDelay(true);
  let tail = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk) => {
    const text = tail + chunk;
    let requests = 0;
    let at = text.indexOf('\r\n\r\n');
    let end = 0;
    while (at >= 0) {
      requests += 1;
      end = at + 4;
      at = text.indexOf('\r\n\r\n', end);
    }
    tail = text.slice(end);
    if (requests > 0) socket.write(requests === 1 ? RESPONSE : Buffer.concat(Array(requests).fill(RESPONSE)));
  });
  socket.on('error', () => socket.destroy());
}).listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('ready\n'));
