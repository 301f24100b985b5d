import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

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
