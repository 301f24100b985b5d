import t from 'tap';
import { keysDirWithKey } from '../helpers/app.js';
import { answersOk } from '../helpers/listen.js';
import { runNginx } from '../helpers/nginx.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { runBuilt, type Running } from '../helpers/spawn.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('a rolling restart of two instances behind nginx loses no request', async (t) => {
  const { dir } = await keysDirWithKey(t, () => Date.now());
  const ports = [await freePort(), await freePort()];
  const listen = await freePort();
  const prefix = redis.prefix();
  const start = (port: number): Running =>
    runBuilt('dist/server.js', [], {
      PORT: String(port),
      HOST: '127.0.0.1',
      // One issuer for both instances: the address clients use, nginx's.
      ISSUER: `http://127.0.0.1:${listen}`,
      KEYS_DIR: dir,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT: 'off',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
    });
  const ready = (port: number) => answersOk(`http://127.0.0.1:${port}/readyz`, 20_000, 50);
  const instances = ports.map(start);
  t.teardown(() => instances.forEach((instance) => instance.child.kill('SIGKILL')));
  for (const port of ports) t.ok(await ready(port), `instance on ${port} is up`);

  // The compose example's pattern: keep-alive to both; a request that meets a stopping or stopped instance goes to the
  // other, and no instance is ever marked down (max_fails=0): with max_fails=1 both could be marked down at once, for
  // fail_timeout, and nginx answered 502 with no live upstream in one run of three.
  const base = await runNginx(
    t,
    `upstream tokensmith {
  server 127.0.0.1:${ports[0]} max_fails=0;
  server 127.0.0.1:${ports[1]} max_fails=0;
  keepalive 8;
}
server {
  listen 127.0.0.1:${listen};
  location / {
    proxy_pass http://tokensmith;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_next_upstream error timeout http_503;
  }
}
`,
    listen,
  );
  await fetch(`${base}/account/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'rolling', password: 'long enough' }),
  });
  const login = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'web', username: 'rolling', password: 'long enough' }),
  });
  const token = ((await login.json()) as { access_token: string }).access_token;

  // Steady traffic: 8 clients checking the token through nginx until both restarts are done (bounded in time).
  const statuses = new Map<number | string, number>();
  let running = true;
  const client = async () => {
    while (running) {
      const status = await fetch(`${base}/forward-auth`, { headers: { authorization: `Bearer ${token}` } }).then(
        (response) => response.status,
        (error: Error) => `error: ${error.message}`,
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const clients = Array.from({ length: 8 }, client);
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const [index, port] of ports.entries()) {
    instances[index]!.child.kill('SIGTERM');
    t.equal(await instances[index]!.exited, 0, `instance on ${port} stopped cleanly`);
    instances[index] = start(port);
    t.ok(await ready(port), 'and came back (ready) before the next one stops');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  running = false;
  await Promise.all(clients);
  const answered = [...statuses.values()].reduce((sum, count) => sum + count, 0);
  t.ok(answered > 100, `${answered} requests during the restarts`);
  t.same(Object.fromEntries([...statuses].filter(([status]) => status !== 200)), {}, 'every one answered 200');
});
