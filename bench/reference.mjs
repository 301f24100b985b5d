// The ceiling of the stack: a bare Fastify route returning a small JSON object. Usage: node bench/reference.mjs PORT
import Fastify from 'fastify';

const app = Fastify();
app.get('/ping', async () => ({ ok: true, service: 'reference' }));
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
process.stdout.write('ready\n');
