import Fastify from 'fastify';
import t from 'tap';
import { oauthError } from '../../src/errors.js';
import { registerPageHeaders } from '../../src/http/page-reply.js';
import { createLogger } from '../../src/logger.js';
import { buildTestApp, LogCapture } from '../helpers/app.js';

t.test('an unexpected error is a generic 500 and one log line, never a stack or internal message', async (t) => {
  const { app, logs } = await buildTestApp(t);
  app.get('/test-only/boom', async () => {
    throw new Error('internal detail: connection string redis://:pw@db');
  });
  const response = await app.inject({ url: '/test-only/boom' });
  t.equal(response.statusCode, 500);
  t.same(response.json(), { error: 'server_error', error_description: 'internal server error' });
  t.notMatch(response.body, /internal detail|at .*\.ts|stack/);
  const errors = logs.records().filter((record) => record.level === 50);
  t.equal(errors.length, 1, 'logged once');
  t.match(errors[0], { msg: 'request failed', err: { message: /internal detail/ } });
  const health = await app.inject({ url: '/healthz' });
  t.equal(health.statusCode, 200, 'the process keeps serving');
});

t.test('unknown routes and methods: 404 in the error shape', async (t) => {
  const { app } = await buildTestApp(t);
  const missing = await app.inject({ url: '/nope' });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error, 'not_found');
  const wrongMethod = await app.inject({ method: 'DELETE', url: '/oauth/token' });
  t.equal(wrongMethod.statusCode, 404);
  t.equal(wrongMethod.json().error, 'not_found');
});

t.test('a page route answers errors with a page: a generic 500 with one log line, never a stack', async (t) => {
  const logs = new LogCapture();
  const app = Fastify({ loggerInstance: createLogger('info', logs) });
  t.teardown(() => app.close());
  await app.register(async (pages) => {
    registerPageHeaders(pages);
    pages.get('/test-only/page-boom', async () => {
      throw new Error('internal detail: connection string redis://:pw@db');
    });
    pages.get('/test-only/page-wait', async () => {
      throw oauthError('too_many_requests', 'slow down', { 'retry-after': '7' });
    });
  });
  const boom = await app.inject({ url: '/test-only/page-boom' });
  t.equal(boom.statusCode, 500);
  t.match(boom.headers['content-type'], /^text\/html/);
  t.match(boom.body, /Something went wrong on our side/);
  t.notMatch(boom.body, /internal detail|at .*\.ts|stack/);
  t.equal(logs.records().filter((record) => record.level === 50).length, 1, 'logged once');
  const wait = await app.inject({ url: '/test-only/page-wait' });
  t.equal(wait.statusCode, 429);
  t.equal(wait.headers['retry-after'], '7');
  t.match(wait.body, /Please wait 7 seconds/);
});
