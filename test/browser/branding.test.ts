import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { buildTestApp, tempDir } from '../helpers/app.js';
import { accessibilityProblems, horizontalOverflow, launchChromium, screenshot } from '../helpers/chromium.js';
import { freePort } from '../helpers/redis-server.js';

// Pages a product can brand: the operator's product name, logo and stylesheet on every page; the client's own name,
// logo and links (RFC 7591 metadata) on the consent page, with the client_id as the fallback and the host the browser
// returns to; and every page usable at a phone's 375 px and a desktop's 1280 px (no sideways scrolling, no serious or
// critical axe-core finding).

/** A 1×1 PNG, the client's logo as its own web server serves it. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#1f4fd1"/></svg>';
const OPERATOR_CSS = 'h1 { color: rgb(1, 2, 3); }';

t.test('branded pages: product name, logo and stylesheet; the client as it presents itself; 375 px and 1280 px', async (t) => {
  const [authPort, rpPort] = [await freePort(), await freePort()];
  const issuer = `http://localhost:${authPort}`;
  const rp = `http://127.0.0.1:${rpPort}`;
  const files = await tempDir(t);
  await writeFile(join(files, 'logo.svg'), LOGO_SVG);
  await writeFile(join(files, 'operator.css'), OPERATOR_CSS);
  const relyingParty = createServer((request, response) => {
    if (request.url === '/logo.png') response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else response.writeHead(200, { 'content-type': 'text/plain' }).end('relying party');
  });
  await new Promise<void>((resolve) => relyingParty.listen(rpPort, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => relyingParty.close(() => resolve())));
  const codeClient = { type: 'public', grant_types: ['authorization_code'], scope: 'openid profile', redirect_uris: [`${rp}/callback`] };
  const { app } = await buildTestApp(t, {
    config: {
      issuer,
      pages: { productName: 'Acme Accounts', logoFile: join(files, 'logo.svg'), stylesheetFile: join(files, 'operator.css'), localesDir: undefined },
    },
    clients: [
      {
        ...codeClient,
        client_id: 'wiki',
        client_name: 'Acme Wiki',
        logo_uri: `${rp}/logo.png`,
        client_uri: `${rp}/about`,
        policy_uri: `${rp}/privacy`,
        tos_uri: `${rp}/terms`,
      },
      { ...codeClient, client_id: 'plain-app' },
      { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' },
    ],
  });
  await app.listen({ port: authPort, host: '127.0.0.1' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'brand-user', password: 'long enough' } });
  // Sessions from devices with long User-Agents: the account page's table must not widen the page.
  for (let i = 0; i < 3; i++) {
    await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) LongDeviceName${'x'.repeat(60)}/${i}`,
      },
      payload: new URLSearchParams({ grant_type: 'password', client_id: 'web', username: 'brand-user', password: 'long enough' }).toString(),
    });
  }
  const authorize = (clientId: string) =>
    `${issuer}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: `${rp}/callback`, scope: 'openid profile', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;

  const browser = await launchChromium();
  t.teardown(() => browser.close());

  /** The page's layout and accessibility at this width, and the operator's branding on it. */
  const check = async (t: Test, page: Page, what: string, width: number) => {
    t.equal(await horizontalOverflow(page), 0, `${what} at ${width} px: nothing to scroll sideways`);
    t.same(await accessibilityProblems(page), [], `${what} at ${width} px: no serious or critical axe-core finding`);
    t.equal(await page.locator('.brand span').textContent(), 'Acme Accounts', `${what}: the product name`);
    t.match(await page.title(), / · Acme Accounts$/, `${what}: in the title`);
    t.ok(
      await page.locator('.brand img').evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth > 0),
      `${what}: the logo, served by the service`,
    );
    t.equal(
      await page
        .locator('h1')
        .evaluate((main) => (globalThis as unknown as { getComputedStyle(element: unknown): { color: string } }).getComputedStyle(main).color),
      'rgb(1, 2, 3)',
      `${what}: the operator's stylesheet wins`,
    );
  };

  for (const width of [375, 1280]) {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${issuer}/register`);
    await check(t, page, 'the registration page', width);
    await page.goto(authorize('wiki'));
    await check(t, page, 'the login page', width);
    await page.getByLabel('Username').fill('brand-user');
    await page.getByLabel('Password').fill('long enough');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${issuer}/oauth/authorize?**`);

    await check(t, page, 'the consent page', width);
    t.match(await page.locator('main').textContent(), /The application\s+Acme Wiki\s+\(wiki\)\s+asks to/, 'the client by its name, with its client_id');
    t.match(await page.locator('main').textContent(), new RegExp(`you return to\\s+127\\.0\\.0\\.1:${rpPort}`), 'and where the browser goes back to');
    t.ok(
      await page.locator('.client img').evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth > 0),
      "the client's logo loads under the page's CSP",
    );
    t.same(await page.locator('.links a').evaluateAll((links) => links.map((link) => [link.textContent, link.getAttribute('href')])), [
      ['About the application', `${rp}/about`],
      ['Privacy policy', `${rp}/privacy`],
      ['Terms of service', `${rp}/terms`],
    ]);
    await screenshot(page, `consent-${width}`);

    await page.goto(authorize('plain-app'));
    t.match(await page.locator('main').textContent(), /The application\s+plain-app\s+asks to/, 'without a client_name: the client_id');
    t.equal(await page.locator('.client img').count(), 0, 'and no logo');
    t.equal(await page.locator('.links').count(), 0, 'and no links');

    await page.goto(`${issuer}/account`);
    await check(t, page, 'the account page', width);
    t.ok((await page.locator('.table-scroll tr').count()) >= 4, 'the sessions table, scrolling in its own region');
    await screenshot(page, `account-${width}`);

    await page.goto(`${issuer}/oauth/end-session`);
    await check(t, page, 'the sign-out confirmation', width);
    t.same(blocked, [], 'the CSP blocked nothing the pages use');
    await context.close();
  }
});
