import t from 'tap';
import { hashClientSecret } from '../../src/clients/secret.js';
import { buildTestApp, form } from '../helpers/app.js';

t.test('one JSON log line per request, and no password, token, secret, Authorization or Cookie in any line', async (t) => {
  const secret = 'client-secret-NEVER-LOGGED-7f3a';
  const { app, logs } = await buildTestApp(t, {
    clients: [
      { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' },
      { client_id: 'svc', type: 'confidential', client_secret_hash: hashClientSecret(secret), grant_types: ['password'] },
    ],
  });
  const password = 'password-NEVER-LOGGED-91b2';
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'logan', password } });
  const login = await app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'password', username: 'logan', password, client_id: 'web' }) });
  const accessToken = login.json().access_token as string;
  const refreshToken = login.json().refresh_token as string;
  t.ok(accessToken);
  t.ok(refreshToken);
  const basic = `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}`;
  const cookie = 'session=cookie-NEVER-LOGGED-c0ff';
  const requests = [
    app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...form({}).headers, authorization: basic, cookie },
      payload: form({ grant_type: 'password', username: 'logan', password: `${password}-wrong` }).payload,
    }),
    app.inject({
      method: 'POST',
      url: '/oauth/token',
      ...form({ grant_type: 'password', username: 'logan', password, client_id: 'svc', client_secret: secret }),
    }),
    app.inject({ method: 'GET', url: `/healthz?access_token=${accessToken}`, headers: { authorization: `Bearer ${accessToken}`, cookie } }),
    app.inject({ method: 'GET', url: `/no-such-route?token=${accessToken}` }),
    app.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'web' }) }),
    app.inject({
      method: 'POST',
      url: '/account/password',
      headers: { authorization: `Bearer ${accessToken}` },
      payload: { current_password: password, new_password: `${password}-new` },
    }),
  ];
  await Promise.all(requests);
  const text = logs.lines.join('\n');
  for (const needle of [password, secret, accessToken, accessToken.split('.')[2]!, refreshToken, 'cookie-NEVER-LOGGED', basic.slice(6)]) {
    t.notOk(text.includes(needle), `not in logs: ${needle.slice(0, 24)}…`);
  }
  const requestLines = logs.records().filter((record) => record.msg === 'request');
  t.equal(requestLines.length, 8, 'one line for each of the eight requests');
  const health = requestLines.find((record) => record.path === '/healthz');
  t.match(health, { method: 'GET', path: '/healthz', status: 200, ip: '127.0.0.1' });
  t.type(health?.ms, 'number');
  t.notOk(
    logs.records().some((record) => record.msg === 'incoming request' || record.msg === 'request completed'),
    'no Fastify default lines',
  );
});
