import type { Browser } from 'playwright-core';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { servePage } from '../helpers/listen.js';
import { freePort } from '../helpers/redis-server.js';

// In real Chromium: a page on an allowed, same-site origin (another port of localhost) runs a script in the browser of
// a person signed in at the service. The browser sends the sign-in cookie with its requests (SameSite=Lax), so only
// the absence of CORS headers keeps the account page's name and CSRF token, and the consent form, out of its reach.

/** What the page script defines, as the evaluated functions see it (they run in the browser, not here). */
interface PageWindow {
  read(path: string): Promise<string>;
}
declare const window: PageWindow;

function pageScript(authBase: string): string {
  return `<!doctype html><meta charset="utf-8"><title>app</title><script>
window.read = async (path) => {
  try {
    const response = await fetch(${JSON.stringify(authBase)} + path, { credentials: 'include' });
    return 'read ' + response.status + ' ' + (await response.text());
  } catch (error) {
    return 'blocked: ' + error.name;
  }
};
</script>`;
}

t.test('an allowed origin’s script cannot read the pages of a signed-in person, only the browser APIs', async (t) => {
  const [authPort, pagePort] = [await freePort(), await freePort()];
  const authBase = `http://localhost:${authPort}`;
  const pageOrigin = `http://localhost:${pagePort}`;
  const { app } = await buildTestApp(t, { config: { issuer: authBase, allowedOrigins: [pageOrigin] } });
  await app.listen({ port: authPort, host: '127.0.0.1' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'cors-page-user', password: 'long enough' } });
  await servePage(t, pagePort, pageScript(authBase));

  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  const context = await browser.newContext();
  const service = await context.newPage();
  await service.goto(`${authBase}/login`);
  await service.getByLabel('Username').fill('cors-page-user');
  await service.getByLabel('Password').fill('long enough');
  await service.getByRole('button', { name: 'Sign in', exact: true }).click();
  await service.waitForURL(`${authBase}/account`);
  t.match(await service.content(), /signed in as <strong>cors-page-user<\/strong>/, 'the person is signed in at the service');

  const page = await context.newPage();
  await page.goto(`${pageOrigin}/`);
  for (const path of ['/account', '/login', '/oauth/end-session']) {
    t.equal(await page.evaluate((target) => window.read(target), path), 'blocked: TypeError', `${path}: the response is not readable`);
  }
  const discovery = await page.evaluate(() => window.read('/.well-known/openid-configuration'));
  t.match(discovery, /^read 200 \{"issuer"/, 'a browser API still answers the allowed origin');
});
