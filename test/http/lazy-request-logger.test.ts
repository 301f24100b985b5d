import t from 'tap';
import { levelEnabled } from '../../src/http/lazy-request-logger.js';
import { buildTestApp } from '../helpers/app.js';

t.test('levelEnabled follows pino levels, and silent enables nothing', async (t) => {
  t.equal(levelEnabled({ level: 'info' }, 'info'), true);
  t.equal(levelEnabled({ level: 'info' }, 'error'), true);
  t.equal(levelEnabled({ level: 'info' }, 'debug'), false);
  t.equal(levelEnabled({ level: 'warn' }, 'info'), false);
  t.equal(levelEnabled({ level: 'silent' }, 'fatal'), false);
});

t.test('at info, the request line and an error line of one request carry the same request id', async (t) => {
  const { app, logs } = await buildTestApp(t, { config: { logLevel: 'info' } });
  app.get('/test-only/boom', async () => {
    throw new Error('boom');
  });
  await app.inject({ url: '/test-only/boom' });
  const error = logs.records().find((record) => record.msg === 'request failed');
  const line = logs.records().find((record) => record.msg === 'request' && record.path === '/test-only/boom');
  t.type(error?.reqId, 'string');
  t.equal(line?.reqId, error?.reqId);
});

t.test('at warn, no request lines are written, and an error line still names its request', async (t) => {
  const { app, logs } = await buildTestApp(t, { config: { logLevel: 'warn' } });
  app.get('/test-only/boom', async () => {
    throw new Error('boom');
  });
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  await app.inject({ url: '/test-only/boom' });
  t.equal(logs.records().filter((record) => record.msg === 'request').length, 0);
  const errors = logs.records().filter((record) => record.msg === 'request failed');
  t.equal(errors.length, 1);
  t.type(errors[0]?.reqId, 'string');
});

t.test('a route with a log level of its own gets a real child logger at that level', async (t) => {
  const { app, logs } = await buildTestApp(t, { config: { logLevel: 'warn' } });
  app.get('/test-only/chatty', { logLevel: 'debug' }, async (request) => {
    request.log.debug({ detail: 'seen' }, 'debug line');
    return { ok: true };
  });
  app.get('/test-only/quiet', async (request) => {
    request.log.debug({ detail: 'unseen' }, 'debug line');
    return { ok: true };
  });
  await app.inject({ url: '/test-only/chatty' });
  await app.inject({ url: '/test-only/quiet' });
  const lines = logs.records().filter((record) => record.msg === 'debug line');
  t.same(
    lines.map((record) => record.detail),
    ['seen'],
  );
  t.type(lines[0]?.reqId, 'string');
});
