import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';
import type { Teardown } from './app.js';
import { freePort } from './redis-server.js';

/** A real upstream OpenID provider for the federation tests: node-oidc-provider on a loopback port. */
export interface UpstreamProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * Signs a person in at the provider as a browser would (its development login and consent forms), starting from
   * the authorization URL; answers where the provider finally redirects (the callback, with code, state and iss).
   */
  signIn(authorizationUrl: string, login: string): Promise<string>;
}

/**
 * Starts node-oidc-provider with one confidential client whose redirect URI is `callback`; stopped at teardown.
 * `foreignKeys` publishes another key than the one it signs with (as a provider whose ID tokens someone forged would).
 */
export async function startUpstream(t: Teardown, callback: string, options: { foreignKeys?: boolean } = {}): Promise<UpstreamProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientId = 'tokensmith';
  const clientSecret = 'upstream-secret-for-tests';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [callback],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'upstream' }] },
    cookies: { keys: ['a cookie key for the tests only'] },
    claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email', 'email_verified'] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, preferred_username: id, email: `${id}@upstream.example`, email_verified: true }),
    }),
    features: { devInteractions: { enabled: true } },
  });
  const serve = provider.callback();
  const foreign = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'upstream' };
  const server: Server = createServer((request, response) => {
    if (options.foreignKeys && request.url === '/jwks') {
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: [foreign] }));
      return;
    }
    void serve(request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function signIn(authorizationUrl: string, login: string): Promise<string> {
    const jar = new Map<string, string>();
    const remember = (response: Response) => {
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(';');
        const [name, ...value] = pair!.split('=');
        jar.set(name!, value.join('='));
      }
    };
    const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    let next: { url: string; init?: RequestInit } = { url: authorizationUrl };
    for (let step = 0; step < 12; step++) {
      const response = await fetch(next.url, { ...next.init, redirect: 'manual', headers: { ...(next.init?.headers ?? {}), cookie: cookieHeader() } });
      remember(response);
      const location = response.headers.get('location');
      if (location !== null) {
        const target = new URL(location, next.url).href;
        if (target.startsWith(callback)) return target;
        next = { url: target };
        continue;
      }
      const page = await response.text();
      const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page);
      if (!form) throw new Error(`the upstream answered ${response.status} at ${next.url} without a form or a redirect: ${page.slice(0, 300)}`);
      const fields = new URLSearchParams();
      for (const [input] of form[2]!.matchAll(/<input[^>]*>/g)) {
        const name = /name="([^"]+)"/.exec(input)?.[1];
        if (name !== undefined) fields.set(name, /value="([^"]*)"/.exec(input)?.[1] ?? '');
      }
      if (fields.has('login')) fields.set('login', login);
      if (fields.has('password')) fields.set('password', 'any');
      next = {
        url: new URL(form[1]!, next.url).href,
        init: { method: 'POST', body: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      };
    }
    throw new Error('the upstream sign-in did not come back');
  }

  return { issuer, clientId, clientSecret, signIn };
}
