import t from 'tap';
import { buildTestApp, realClock } from '../helpers/app.js';
import { accessibilityProblems, launchChromium } from '../helpers/chromium.js';
import { freePort } from '../helpers/redis-server.js';
import { linkIn, startSmtp } from '../helpers/smtp.js';

// The mails' flows as a person meets them, in headless Chromium, with a real SMTP server: register with an address,
// confirm it from the mail; forget the password, reset it from the mail, sign in with the new one. Every page is
// checked with axe-core.

t.test('register → confirm the address; forgot password → reset → sign in, in Chromium', async (t) => {
  const smtp = await startSmtp(t);
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const { app } = await buildTestApp(t, { clock: realClock(), config: { issuer, mail: smtp.mailConfig() } });
  await app.listen({ port, host: '127.0.0.1' });
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();
  const accessible = async (what: string) => t.same(await accessibilityProblems(page), [], `${what}: no serious or critical axe-core finding`);

  await page.goto(`${issuer}/register`);
  await accessible('registration page');
  await page.getByLabel('Username').fill('joan');
  await page.getByLabel('Email').fill('jo@example.com');
  await page.getByLabel('Password').fill('long enough');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${issuer}/account`);
  t.match(await page.textContent('main'), /jo@example\.com \(not confirmed yet\)/);
  await accessible('account page');

  await page.goto(`${issuer}${linkIn(await smtp.next('jo@example.com'), '/verify-email')}`);
  await accessible('verification page');
  await page.getByRole('button', { name: 'Confirm email address' }).click();
  t.match(await page.textContent('main'), /jo@example\.com is confirmed/);
  await accessible('verified page');
  await page.goto(`${issuer}/account`);
  t.match(await page.textContent('main'), /jo@example\.com \(confirmed\)/);
  await page.getByRole('button', { name: 'Sign out' }).click();

  await page.goto(`${issuer}/login`);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await accessible('forgot password page');
  await page.getByLabel('Username or email').fill('JO@example.com');
  await page.getByRole('button', { name: 'Send reset link' }).click();
  t.match(await page.textContent('main'), /a link to reset its password is on its way/);
  await accessible('reset requested page');

  const link = `${issuer}${linkIn(await smtp.next('jo@example.com', 1), '/reset-password')}`;
  await page.goto(link);
  await accessible('new password page');
  await page.getByLabel('New password').fill('the new secret');
  await page.getByRole('button', { name: 'Set password' }).click();
  t.match(await page.textContent('main'), /Your password is set/);
  await accessible('password set page');

  await page.goto(link);
  t.match(await page.textContent('main'), /unknown, already used or expired/, 'the link works once');
  await accessible('refused link page');

  await page.goto(`${issuer}/login`);
  await page.getByLabel('Username').fill('joan');
  await page.getByLabel('Password').fill('the new secret');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${issuer}/account`);
  t.pass('signed in with the new password');
});
