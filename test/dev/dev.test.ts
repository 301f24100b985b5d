import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { eventually } from '../helpers/listen.js';
import { freePort } from '../helpers/redis-server.js';
import { runBuilt } from '../helpers/spawn.js';

// `npm run dev` is one command and a click: it starts the service with its demo clients and user and a demo
// application, prints the link and the credentials, and a real browser signs in through the demo page, which shows
// the verified ID token's claims and what /userinfo answers, then signs out.

t.test('npm run dev: a browser signs in through the demo page; the printed admin secret works', async (t) => {
  const [port, adminPort, demoPort] = [await freePort(), await freePort(), await freePort()];
  const dev = runBuilt('dist/dev/main.js', ['--demo-port', String(demoPort)], {
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    KEYS_DIR: await tempDir(t),
  });
  t.teardown(() => dev.child.kill('SIGKILL'));
  t.ok(await eventually(() => dev.stdout().includes('Ctrl-C stops it.'), 30_000, 100), `the banner is printed: ${dev.stderr()}`);
  const signIn = /open (http:\/\/127\.0\.0\.1:\d+) and sign in as demo \/ (\S+)/.exec(dev.stdout());
  const admin = /Admin client: +ops \/ (\S+) +\(shown once\)/.exec(dev.stdout());
  t.ok(signIn && admin, 'the banner gives the link, the demo password and the admin secret');
  t.equal(signIn![1], `http://127.0.0.1:${demoPort}`);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.goto(signIn![1]!);
  await page.getByRole('link', { name: 'Sign in with tokensmith' }).click();
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill(signIn![2]!);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`http://127.0.0.1:${demoPort}/callback?**`);
  t.equal(await page.title(), 'Signed in', 'back at the demo application, signed in');
  const claims = JSON.parse((await page.locator('#id-token-claims').textContent())!) as Record<string, unknown>;
  t.match(claims, { iss: `http://localhost:${port}`, aud: 'demo', sub: String, nonce: String, sid: String });
  const userinfo = JSON.parse((await page.locator('#userinfo').textContent())!) as Record<string, unknown>;
  t.same(userinfo, { sub: claims.sub, preferred_username: 'demo' }, '/userinfo speaks for the same person');

  await page.getByRole('link', { name: 'Sign out' }).click();
  await page.waitForURL(`http://127.0.0.1:${demoPort}/**`);
  t.equal(await page.title(), 'tokensmith demo', 'signed out, back at the demo home page');

  const token = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`ops:${admin![1]}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  t.equal(token.status, 200, 'the printed admin secret authenticates the ops client');
  const { access_token: accessToken } = (await token.json()) as { access_token: string };
  const users = await fetch(`http://127.0.0.1:${adminPort}/admin/users/demo`, { headers: { authorization: `Bearer ${accessToken}` } });
  t.equal(users.status, 200);
  t.equal(((await users.json()) as { username: string }).username, 'demo', 'the demo user, created through the admin API');
});

t.test('npm run dev refuses production', async (t) => {
  const dev = runBuilt('dist/dev/main.js', [], { NODE_ENV: 'production', PORT: String(await freePort()), KEYS_DIR: await tempDir(t) });
  t.equal(await dev.exited, 1);
  t.equal(dev.stderr(), 'configuration error: NODE_ENV: npm run dev is for a development machine, never production\n');
});
