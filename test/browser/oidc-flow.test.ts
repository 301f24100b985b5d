import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { createVerifier } from '@tokensmith/verifier';
import * as oidc from 'openid-client';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { accessibilityProblems, launchChromium, screenshot } from '../helpers/chromium.js';
import { freePort } from '../helpers/redis-server.js';

const WIKI_SECRET = 'wiki-secret-of-the-test';
const sha = (secret: string) => `sha256:${createHash('sha256').update(secret).digest('hex')}`;

/** The relying parties' own web server: it only has to exist where the browser is sent back to. */
function serveRelyingParty(port: number): Promise<Server> {
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('relying party'));
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** An authorization URL of a client with a fresh PKCE pair (RFC 7636), and its verifier. */
async function authorization(config: oidc.Configuration, params: Record<string, string>) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { ...params, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  return { url: url.href, verifier };
}

t.test('openid-client signs a person in through Chromium, single sign-on to a second client, refresh, userinfo, and sign-out', async (t) => {
  const [authPort, rpPort] = [await freePort(), await freePort()];
  const issuer = `http://localhost:${authPort}`;
  const rp = `http://127.0.0.1:${rpPort}`;
  const { app } = await buildTestApp(t, {
    config: { issuer },
    clients: [
      {
        client_id: 'spa',
        type: 'public',
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'openid profile',
        redirect_uris: [`${rp}/callback`],
        post_logout_redirect_uris: [`${rp}/signed-out`],
        first_party: true,
      },
      {
        client_id: 'wiki',
        type: 'confidential',
        client_secret_hash: sha(WIKI_SECRET),
        grant_types: ['authorization_code'],
        scope: 'openid profile',
        redirect_uris: [`${rp}/wiki`],
      },
    ],
  });
  await app.listen({ port: authPort, host: '127.0.0.1' });
  await app.inject({ method: 'POST', url: '/account/register', payload: { username: 'grace', password: 'long enough' } });
  const rpServer = await serveRelyingParty(rpPort);
  t.teardown(() => new Promise<void>((resolve) => rpServer.close(() => resolve())));
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await (await browser.newContext()).newPage();
  // Every request the pages make: none may leave the service and the relying party (no third-party request).
  const requested = new Set<string>();
  page.on('request', (request) => requested.add(new URL(request.url()).origin));
  // The service is plain http on loopback in this test; openid-client refuses that unless told.
  const insecure = { execute: [oidc.allowInsecureRequests] };

  const spa = await oidc.discovery(new URL(issuer), 'spa', undefined, oidc.None(), insecure);
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const first = await authorization(spa, { redirect_uri: `${rp}/callback`, scope: 'openid profile', nonce, state });
  await page.goto(first.url);
  t.match(page.url(), `${issuer}/login?`, 'the browser is sent to the hosted login page');
  await screenshot(page, 'login', { width: 900, height: 640 });
  await page.getByLabel('Username').fill('grace');
  await page.getByLabel('Password').fill('long enough');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${rp}/callback?**`);

  const tokens = await oidc.authorizationCodeGrant(spa, new URL(page.url()), {
    pkceCodeVerifier: first.verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  t.equal(claims.iss, issuer);
  t.equal(claims.aud, 'spa');
  const info = await oidc.fetchUserInfo(spa, tokens.access_token, claims.sub);
  t.equal(info.preferred_username, 'grace', 'userinfo with the profile scope');
  const apiVerifier = createVerifier({ issuer, audience: 'api' });
  t.teardown(() => apiVerifier.close());
  t.match(await apiVerifier.verify(tokens.access_token), { sub: claims.sub, clientId: 'spa' }, 'the verifier library accepts the access token');
  const refreshed = await oidc.refreshTokenGrant(spa, tokens.refresh_token!);
  t.ok(refreshed.access_token, 'refresh');

  const wiki = await oidc.discovery(new URL(issuer), 'wiki', undefined, oidc.ClientSecretBasic(WIKI_SECRET), insecure);
  const wikiRequest = await authorization(wiki, { redirect_uri: `${rp}/wiki`, scope: 'openid profile', state: 'wiki-state' });
  await page.goto(wikiRequest.url);
  t.equal(await page.getByRole('heading', { name: 'Allow access?' }).count(), 1, 'single sign-on: the second client asks for consent, not a password');
  t.same(await accessibilityProblems(page), [], 'the consent page: no serious or critical axe-core findings');
  await screenshot(page, 'consent', { width: 900, height: 640 });
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${rp}/wiki?**`);
  const wikiTokens = await oidc.authorizationCodeGrant(wiki, new URL(page.url()), { pkceCodeVerifier: wikiRequest.verifier, expectedState: 'wiki-state' });
  t.equal(wikiTokens.claims()!.sub, claims.sub, 'the same person, without signing in again');

  await page.goto((await authorization(spa, { redirect_uri: `${rp}/callback`, scope: 'openid', prompt: 'none', state: 's2' })).url);
  await page.waitForURL(`${rp}/callback?**`);
  t.ok(new URL(page.url()).searchParams.get('code'), 'prompt=none with a sign-in: a code, no page');
  await page.goto((await authorization(spa, { redirect_uri: `${rp}/callback`, scope: 'openid', prompt: 'login' })).url);
  t.match(page.url(), `${issuer}/login?`, 'prompt=login: the password again');
  t.same(await accessibilityProblems(page), [], 'the login page: no serious or critical axe-core findings');
  // With the keyboard alone: Tab to each field, type, and Enter sends the form.
  await page.keyboard.press('Tab');
  await page.keyboard.type('grace');
  await page.keyboard.press('Tab');
  await page.keyboard.type('long enough');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${rp}/callback?**`);
  t.ok(new URL(page.url()).searchParams.get('code'), 'signed in with the keyboard alone');

  await page.goto(`${issuer}/account`);
  t.equal(await page.getByRole('heading', { name: 'Your account' }).count(), 1);
  t.same(await accessibilityProblems(page), [], 'the account page: no serious or critical axe-core findings');
  await screenshot(page, 'account', { width: 900, height: 640 });
  await page.keyboard.press('Tab');
  t.equal(
    await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent),
    'Sign out',
    'the keyboard reaches the first control',
  );

  const probe = await page.context().newPage();
  await probe.setContent('<!doctype html><html lang="en"><head><title>probe</title></head><body><main><input type="text"></main></body></html>');
  t.match(await accessibilityProblems(probe), [/^label:/], 'the check itself finds an unlabelled field');
  await probe.close();

  await page.goto(oidc.buildEndSessionUrl(spa, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${rp}/signed-out`, state: 'bye' }).href);
  await page.waitForURL(`${rp}/signed-out?**`);
  t.equal(new URL(page.url()).searchParams.get('state'), 'bye', 'back to the application with its state');
  await t.rejects(oidc.refreshTokenGrant(spa, refreshed.refresh_token!), 'the sessions the sign-in started are ended');
  await page.goto(first.url);
  t.match(page.url(), `${issuer}/login?`, 'signed out: the next request asks for the password');
  t.same([...requested].sort(), [issuer, rp].sort(), 'the pages made no request beyond the service and the relying party');
});
