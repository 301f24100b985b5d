import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { accessibilityProblems, launchChromium } from '../helpers/chromium.js';
import { freePort } from '../helpers/redis-server.js';
import { startUpstream } from '../helpers/upstream-provider.js';
import { parseProviderEntry } from '../../src/federation/provider.js';

// Chromium signs in through an upstream provider end to end: an application (openid-client) sends the browser here,
// "Continue with Upstream" takes it to node-oidc-provider's own pages and back, and the application gets its code;
// then a second person links the provider from the account page (a form POST whose redirect leaves for the provider,
// which Chromium checks against the page's CSP form-action).

function serveRelyingParty(port: number): Promise<Server> {
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('relying party'));
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

t.test('Chromium: Continue with a provider, and linking one from the account page', async (t) => {
  const [authPort, rpPort] = [await freePort(), await freePort()];
  const issuer = `http://localhost:${authPort}`;
  const rp = `http://127.0.0.1:${rpPort}`;
  const upstream = await startUpstream(t, `${issuer}/login/upstream/callback`);
  const provider = parseProviderEntry(
    {
      id: 'upstream',
      name: 'Upstream',
      issuer: upstream.issuer,
      client_id: upstream.clientId,
      client_secret: upstream.clientSecret,
      scope: 'openid profile email',
      userinfo: true,
    },
    {},
  );
  const { app, store } = await buildTestApp(t, {
    config: { issuer, providers: [provider] },
    clients: [
      { client_id: 'spa', type: 'public', grant_types: ['authorization_code'], scope: 'openid profile', redirect_uris: [`${rp}/callback`], first_party: true },
    ],
  });
  await app.listen({ port: authPort, host: '127.0.0.1' });
  const rpServer = await serveRelyingParty(rpPort);
  t.teardown(() => new Promise<void>((resolve) => rpServer.close(() => resolve())));
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const violations: string[] = [];
  const offLoopback: string[] = [];
  /** A browser of its own, kept on loopback (the upstream's pages import a web font from the internet: refused here). */
  const newPage = async () => {
    const context = await browser.newContext();
    await context.route(
      (url) => !['localhost', '127.0.0.1'].includes(url.hostname),
      (route) => {
        offLoopback.push(new URL(route.request().url()).origin);
        return route.abort();
      },
    );
    const opened = await context.newPage();
    opened.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    return opened;
  };
  const page = await newPage();

  /** Signs in at the upstream's own pages (its development login, then its consent) as `login`; waits for `back`. */
  const atUpstream = async (on: typeof page, login: string, back: string) => {
    await on.waitForURL(`${upstream.issuer}/**`);
    await on.locator('input[name="login"]').fill(login);
    await on.locator('input[name="password"]').fill('any');
    await on.getByRole('button', { name: 'Sign-in' }).click();
    await on.getByRole('button', { name: 'Continue' }).click();
    await on.waitForURL(back);
  };

  const spa = await oidc.discovery(new URL(issuer), 'spa', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(spa, {
    redirect_uri: `${rp}/callback`,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  await page.goto(url.href);
  t.match(page.url(), `${issuer}/login?`);
  t.same(await accessibilityProblems(page), [], 'the login page with a provider: no serious or critical axe-core findings');
  await page.getByRole('link', { name: 'Continue with Upstream' }).click();
  await atUpstream(page, 'ada', `${rp}/callback?**`);
  const tokens = await oidc.authorizationCodeGrant(spa, new URL(page.url()), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  t.same(claims.amr, ['fed'], 'the application hears the person signed in through another provider');
  t.equal((await store.users.findById(claims.sub))?.username, 'ada', 'an account made just in time');

  // A second person, with a password here, links the provider from the account page.
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'bruno', password: 'long enough' } });
  const second = await newPage();
  await second.goto(`${issuer}/login`);
  await second.getByLabel('Username').fill('bruno');
  await second.getByLabel('Password').fill('long enough');
  await second.getByRole('button', { name: 'Sign in', exact: true }).click();
  await second.waitForURL(`${issuer}/account`);
  t.same(await accessibilityProblems(second), [], 'the account page with its providers: no serious or critical axe-core findings');
  const linkForm = second.locator('form[action="/account/providers/link"]');
  await linkForm.getByLabel('Current password').fill('long enough');
  await linkForm.getByRole('button', { name: 'Link Upstream' }).click();
  await atUpstream(second, 'bruno-upstream', `${issuer}/login/upstream/callback?**`);
  t.match(await second.locator('body').innerText(), /Upstream is linked to your account/, 'linked, across the form POST’s redirect');
  const bruno = (await store.users.findByUsernameKey('bruno'))!;
  t.same(
    (await store.identityLinks.listForUser(bruno.id)).map((link) => link.subject),
    ['bruno-upstream'],
  );
  t.same(violations, [], 'no Content Security Policy violation on the way');
  t.ok(
    offLoopback.every((origin) => origin === 'https://fonts.googleapis.com'),
    `nothing but the upstream's web font asked for the internet, and it was refused: ${offLoopback.join(', ')}`,
  );
});
