import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { servePage } from '../helpers/listen.js';
import { freePort } from '../helpers/redis-server.js';

/** What the page script defines, as the evaluated functions see it (they run in the browser, not here). */
interface AppWindow {
  login(username: string, password: string): Promise<{ status: number; body: Record<string, string> }>;
  refresh(): Promise<{ status: number; body: Record<string, string> }>;
}
declare const window: AppWindow;
declare const document: { cookie: string };

/** A page whose script logs in and refreshes against the auth server, as a browser app would. */
function appPage(authBase: string): string {
  return `<!doctype html><meta charset="utf-8"><title>app</title><script>
const auth = ${JSON.stringify(authBase)};
async function token(params) {
  const response = await fetch(auth + '/oauth/token', {
    method: 'POST', credentials: 'include',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: await response.json() };
}
window.login = (username, password) => token({ grant_type: 'password', client_id: 'spa', username, password });
window.refresh = () => token({ grant_type: 'refresh_token', client_id: 'spa' });
</script>`;
}

t.test('a browser app keeps its refresh token in an HttpOnly cookie and refreshes through it alone; a foreign page cannot', async (t) => {
  const [authPort, pagePort, foreignPort] = [await freePort(), await freePort(), await freePort()];
  const authBase = `http://localhost:${authPort}`;
  const pageOrigin = `http://localhost:${pagePort}`;
  const { app, logs } = await buildTestApp(t, {
    config: { issuer: authBase, allowedOrigins: [pageOrigin] },
    clients: [{ client_id: 'spa', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile', refresh_token_delivery: 'cookie' }],
  });
  await app.listen({ port: authPort, host: '127.0.0.1' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'browser-user', password: 'long enough' } });
  await servePage(t, pagePort, appPage(authBase));
  await servePage(t, foreignPort, appPage(authBase));

  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();

  await page.goto(`${pageOrigin}/`);
  const login = await page.evaluate(() => window.login('browser-user', 'long enough'));
  t.equal(login.status, 200);
  t.equal(login.body.refresh_token, undefined, 'no refresh token in what JavaScript can read');
  const sid = decodeJwt(login.body.access_token!).sid;

  const cookies = await context.cookies(`${authBase}/oauth/token`);
  const refreshCookie = cookies.find((cookie) => cookie.name === '__Secure-refresh_token');
  t.ok(refreshCookie, 'the browser stored the cookie');
  t.match(refreshCookie, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/oauth' });
  const visible = await page.evaluate(() => document.cookie);
  t.notOk(visible.includes(refreshCookie!.value), 'document.cookie cannot see the refresh token');

  await page.reload();
  const refreshed = await page.evaluate(() => window.refresh());
  t.equal(refreshed.status, 200, 'after a reload, the cookie alone gets a new access token');
  t.equal(decodeJwt(refreshed.body.access_token!).sid, sid, 'in the same session');
  const rotated = (await context.cookies(`${authBase}/oauth/token`)).find((cookie) => cookie.name === '__Secure-refresh_token');
  t.not(rotated?.value, refreshCookie!.value, 'the cookie was rotated');

  const foreign = await context.newPage();
  await foreign.goto(`http://127.0.0.1:${foreignPort}/`);
  const attempt = await foreign.evaluate(async () => {
    try {
      const result = await window.refresh();
      return `read ${result.status}`;
    } catch (error) {
      return `blocked: ${(error as Error).name}`;
    }
  });
  t.equal(attempt, 'blocked: TypeError', 'the foreign page cannot read a refresh response');
  const tokenStatuses = logs
    .records()
    .filter((record) => record.path === '/oauth/token')
    .map((record) => record.status);
  t.same(tokenStatuses, [200, 200, 403], 'the server refused the foreign request itself (403), not only the browser');
  const stillCurrent = (await context.cookies(`${authBase}/oauth/token`)).find((cookie) => cookie.name === '__Secure-refresh_token');
  t.equal(stillCurrent?.value, rotated?.value, 'and did not rotate the cookie');
  const again = await page.evaluate(() => window.refresh());
  t.equal(again.status, 200, 'the app can still refresh: the foreign attempt changed nothing');
});
