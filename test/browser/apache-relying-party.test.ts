import { createHash } from 'node:crypto';
import t from 'tap';
import { startApacheRelyingParty } from '../helpers/apache.js';
import { buildTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { freePort } from '../helpers/redis-server.js';

const SECRET = 'apache-site-secret-of-the-test';

t.test('Apache httpd with mod_auth_openidc, a second and independent relying party, signs a person in and out', async (t) => {
  const [authPort, sitePort] = [await freePort(), await freePort()];
  const issuer = `http://localhost:${authPort}`;
  const site = `http://127.0.0.1:${sitePort}`;
  const { app } = await buildTestApp(t, {
    config: { issuer },
    clients: [
      {
        client_id: 'apache-site',
        type: 'confidential',
        client_secret_hash: `sha256:${createHash('sha256').update(SECRET).digest('hex')}`,
        grant_types: ['authorization_code'],
        scope: 'openid profile',
        redirect_uris: [`${site}/private/redirect_uri`],
        post_logout_redirect_uris: [`${site}/`],
        first_party: true,
      },
    ],
  });
  await app.listen({ port: authPort, host: '127.0.0.1' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'margaret', password: 'long enough' } });
  const apache = await startApacheRelyingParty(t, { port: sitePort, issuer, clientSecret: SECRET });
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await (await browser.newContext()).newPage();

  await page.goto(`${site}/private/`);
  t.match(page.url(), `${issuer}/login?`, 'the protected page sends the browser to the hosted login page');
  await page.getByLabel('Username').fill('margaret');
  await page.getByLabel('Password').fill('long enough');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${site}/private/**`);
  t.equal((await page.textContent('body'))?.trim(), 'private page', 'Apache serves the protected page');
  t.same(await apache.remoteUsers(), ['margaret'], 'with the username from the ID token as REMOTE_USER');

  await page.goto(`${site}/private/redirect_uri?logout=${encodeURIComponent(`${site}/`)}`);
  await page.waitForURL(`${site}/`);
  t.equal((await page.textContent('body'))?.trim(), 'public page', 'signed out through the end_session_endpoint, back to the site');
  await page.goto(`${site}/private/`);
  t.match(page.url(), `${issuer}/login?`, 'and signed out of the service too: the password is asked again');
});
