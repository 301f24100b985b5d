import t from 'tap';
import type { CDPSession, Page } from 'playwright-core';
import { buildTestApp, realClock } from '../helpers/app.js';
import { accessibilityProblems, launchChromium, screenshot } from '../helpers/chromium.js';
import { freePort } from '../helpers/redis-server.js';

// Passkeys as a person meets them, in headless Chromium with its DevTools virtual authenticator (a CTAP2 platform
// authenticator that verifies its user): add one from the account page, sign in with it and no username, use it as
// the second step after a password, and see a cloned copy (an old signature counter) refused. The page is on
// http://localhost: an IP address cannot be a relying party id.

/** A virtual platform authenticator on the page's browser, with user verification, answering without a person. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/**
 * Turns the page's passkey autofill off, as in a browser without conditional mediation: the virtual authenticator
 * would otherwise answer every autofill request at once, where a person picks from a list.
 */
async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const webauthn = (globalThis as unknown as { PublicKeyCredential: object }).PublicKeyCredential;
    Object.defineProperty(webauthn, 'isConditionalMediationAvailable', { value: async () => false });
  });
}

t.test('add a passkey, sign in with it, use it as the second step, and a clone is refused, in Chromium', async (t) => {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const { app, logs } = await buildTestApp(t, { clock: realClock(), config: { issuer } });
  await app.listen({ port, host: '127.0.0.1' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'kim', password: 'long enough' } });
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await (await browser.newContext()).newPage();
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  const accessible = async (what: string) => t.same(await accessibilityProblems(page), [], `${what}: no serious or critical axe-core finding`);
  const optionRequests: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/options')) optionRequests.push(new URL(request.url()).pathname);
  });
  const signInWithPassword = async () => {
    await page.goto(`${issuer}/login`);
    await page.getByLabel('Username').fill('kim');
    await page.getByLabel('Password').fill('long enough');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };
  const signOut = () => page.getByRole('button', { name: 'Sign out' }).click();

  await signInWithPassword();
  await page.waitForURL(`${issuer}/account`);
  t.match(await page.textContent('main'), /No passkeys yet/);
  await page.getByLabel('Name of the passkey').fill('Laptop');
  await page.locator('#passkey_password').fill('wrong password');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('The current password is wrong.').waitFor();
  t.pass('a wrong password is said beside the form, and no passkey is made');
  t.same((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials, []);
  await page.locator('#passkey_password').fill('long enough');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByRole('list', { name: 'Recovery codes' }).waitFor();
  t.equal(await page.getByRole('list', { name: 'Recovery codes' }).locator('li').count(), 10, 'the first factor comes with ten recovery codes');
  const [stored] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  t.ok(stored?.isResidentCredential, 'a discoverable credential');
  await page.getByRole('link', { name: 'Back to your account' }).click();
  t.match(await page.textContent('main'), /Laptop: added .* last used never/);
  t.match(await page.textContent('main'), /Two-step sign-in is on/);
  await accessible('account page with a passkey');
  await screenshot(page, 'passkey-account', { width: 800, height: 1400 });
  const [registered] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;

  // Signing out lands on the login page, where the browser's passkey autofill (conditional mediation) offers the
  // passkey at once; the virtual authenticator picks it as a person would from the list, and the page signs in.
  optionRequests.length = 0;
  await signOut();
  await page.waitForURL(`${issuer}/account`);
  t.same(optionRequests, ['/login/passkey/options'], 'the login page asked for a challenge as it loaded');
  t.match(await page.textContent('main'), /signed in as kim/, 'signed in through the autofill, no username typed');
  t.match(await page.textContent('main'), /Laptop: added .* last used \d{4}-/, 'the passkey was used');

  // Another browser whose autofill is off holds the same passkey: the button, the second step, a clone.
  const other = await (await browser.newContext()).newPage();
  await withoutAutofill(other);
  const second = await virtualAuthenticator(other);
  const synced = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]!;
  t.equal(synced.credentialId, registered!.credentialId);
  await second.cdp.send('WebAuthn.addCredential', { authenticatorId: second.authenticatorId, credential: synced });
  await other.goto(`${issuer}/login`);
  t.equal(await other.getByLabel('Username').getAttribute('autocomplete'), 'username webauthn', 'the username field offers passkey autofill');
  await other.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
  t.same(await accessibilityProblems(other), [], 'login page with passkeys: no serious or critical axe-core finding');
  await screenshot(other, 'passkey-login', { width: 800, height: 700 });
  await other.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await other.waitForURL(`${issuer}/account`);
  t.match(await other.textContent('main'), /signed in as kim/, 'signed in with the button');
  await other.getByRole('button', { name: 'Sign out' }).click();

  await other.getByLabel('Username').fill('kim');
  await other.getByLabel('Password').fill('long enough');
  await other.getByRole('button', { name: 'Sign in', exact: true }).click();
  await other.waitForURL(`${issuer}/login/second-step`);
  t.match(await other.textContent('main'), /Confirm it is you with one of the passkeys/, 'the password alone is not enough: the passkey is asked for');
  t.same(await accessibilityProblems(other), [], 'second step with a passkey: no serious or critical axe-core finding');
  await screenshot(other, 'passkey-second-step', { width: 800, height: 600 });
  await other.getByRole('button', { name: 'Use a passkey' }).click();
  await other.waitForURL(`${issuer}/account`);
  t.pass('password, then the passkey');
  await other.getByRole('button', { name: 'Sign out' }).click();

  // A clone: the same key with the counter it had before the last sign-in.
  const copy = (await second.cdp.send('WebAuthn.getCredentials', { authenticatorId: second.authenticatorId })).credentials[0]!;
  await other.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await other.waitForURL(`${issuer}/account`);
  await other.getByRole('button', { name: 'Sign out' }).click();
  await second.cdp.send('WebAuthn.removeCredential', { authenticatorId: second.authenticatorId, credentialId: copy.credentialId });
  await second.cdp.send('WebAuthn.addCredential', { authenticatorId: second.authenticatorId, credential: copy });
  await other.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await other.getByText('That passkey could not be checked').waitFor();
  t.equal(new URL(other.url()).pathname, '/login/passkey', 'refused, on the login page');
  t.ok(
    logs.records().some((line) => line.event === 'passkey_failed' && line.reason === 'stale_counter'),
    'audited as a counter that went back',
  );

  await other.getByLabel('Username').fill('kim');
  await other.getByLabel('Password').fill('long enough');
  await other.getByRole('button', { name: 'Sign in', exact: true }).click();
  await other.getByRole('link', { name: 'Use a recovery code' }).waitFor();
  t.pass('a recovery code is offered beside the passkey');
});

t.test('rename and remove a passkey from the account page', async (t) => {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const { app } = await buildTestApp(t, { clock: realClock(), config: { issuer } });
  await app.listen({ port, host: '127.0.0.1' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'lee', password: 'long enough' } });
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await (await browser.newContext()).newPage();
  await withoutAutofill(page);
  await virtualAuthenticator(page);
  await page.goto(`${issuer}/login`);
  await page.getByLabel('Username').fill('lee');
  await page.getByLabel('Password').fill('long enough');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Name of the passkey').fill('Phone');
  await page.locator('#passkey_password').fill('long enough');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByRole('link', { name: 'Back to your account' }).click();

  await page.getByLabel('New name for the passkey Phone').fill('Old phone');
  await page.getByRole('button', { name: 'Rename' }).click();
  t.match(await page.textContent('main'), /The passkey is renamed/);
  t.match(await page.textContent('main'), /Old phone: added/);

  await page.locator('#passkey_remove_0').fill('long enough');
  await page.getByRole('button', { name: 'Remove the passkey Old phone' }).click();
  t.match(await page.textContent('main'), /The passkey is removed/);
  t.match(await page.textContent('main'), /No passkeys yet/);
  t.match(await page.textContent('main'), /Two-step sign-in is off/, 'the last factor gone, the password alone signs in again');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByText('That passkey could not be checked').waitFor();
  t.pass('a removed passkey, still on the device, is refused');
});
