import t from 'tap';
import { oathtool } from '../helpers/oathtool.js';
import { buildTestApp, realClock } from '../helpers/app.js';
import { accessibilityProblems, launchChromium, screenshot } from '../helpers/chromium.js';
import { freePort } from '../helpers/redis-server.js';

// Two-step sign-in as a person meets it, in headless Chromium: set up an authenticator app from the account page
// (codes from Debian's oathtool), sign in with password and code. The pages carry no script at all (their CSP allows
// none); axe-core checks every page.

t.test('set up an authenticator app, then sign in with password and code, in Chromium', async (t) => {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const { app } = await buildTestApp(t, { clock: realClock(), config: { issuer } });
  await app.listen({ port, host: '127.0.0.1' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'rosa', password: 'long enough' } });
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();
  const accessible = async (what: string) => t.same(await accessibilityProblems(page), [], `${what}: no serious or critical axe-core finding`);
  const signInWithPassword = async () => {
    await page.goto(`${issuer}/login`);
    await page.getByLabel('Username').fill('rosa');
    await page.getByLabel('Password').fill('long enough');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };

  await signInWithPassword();
  await page.waitForURL(`${issuer}/account`);
  await page.locator('#two_step_setup_password').fill('long enough');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  t.ok(await page.getByRole('img', { name: 'QR code of the key for your authenticator app' }).isVisible(), 'the QR code');
  await accessible('setup page');
  await screenshot(page, 'two-step-setup', { width: 800, height: 900 });
  const key = (await page.locator('main code').textContent())!.replaceAll(' ', '');
  await page.getByLabel('Authentication code').fill(oathtool(key));
  await page.getByRole('button', { name: 'Verify' }).click();
  t.equal(await page.getByRole('list', { name: 'Recovery codes' }).locator('li').count(), 10, 'ten recovery codes');
  await accessible('recovery codes page');
  await page.getByRole('link', { name: 'Back to your account' }).click();
  t.match(await page.textContent('main'), /Two-step sign-in is on/);
  await accessible('account page with two-step sign-in on');
  await page.getByRole('button', { name: 'Sign out' }).click();

  await signInWithPassword();
  await page.waitForURL(`${issuer}/login/second-step`);
  await accessible('second step page');
  await screenshot(page, 'two-step-code', { width: 800, height: 600 });
  await page.getByLabel('Authentication code').fill(oathtool(key, { steps: 1 }));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${issuer}/account`);
  t.pass('signed in with password and code');
  await page.getByRole('button', { name: 'Sign out' }).click();

  await signInWithPassword();
  await page.getByRole('link', { name: 'Use a recovery code' }).click();
  await accessible('recovery code page');
  t.ok(await page.getByLabel('Recovery code').isVisible());
});
