import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { form } from './app.js';
import { tokenRequest, type Tokens } from './oauth.js';

/** The redirect URI of the `spa` client of SIGN_IN_CLIENTS. */
export const REDIRECT = 'https://app.example/callback';

/** A first-party public client (`spa`) and a third-party one (`wiki`), both with the authorization code grant. */
export const SIGN_IN_CLIENTS = [
  {
    client_id: 'spa',
    type: 'public',
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid profile',
    redirect_uris: [REDIRECT],
    first_party: true,
  },
  { client_id: 'wiki', type: 'public', grant_types: ['authorization_code'], scope: 'openid profile', redirect_uris: ['https://wiki.example/oidc'] },
];

/** A first-party public client `spa` that may also use the password grant and ask for the email scope. */
export const ACCOUNT_SPA = {
  client_id: 'spa',
  type: 'public',
  grant_types: ['authorization_code', 'refresh_token', 'password'],
  scope: 'openid profile email',
  redirect_uris: [REDIRECT],
  first_party: true,
};

/** A browser's cookies, kept across injected requests as a browser keeps them. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  take(setCookie: string | string[] | undefined): void {
    for (const line of ([] as string[]).concat(setCookie ?? [])) {
      const [pair] = line.split(';');
      const name = pair!.slice(0, pair!.indexOf('='));
      const value = pair!.slice(pair!.indexOf('=') + 1);
      if (/max-age=0/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** A PKCE pair (RFC 7636 §4.1, §4.2). */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(params: Record<string, string>): string {
  return `/oauth/authorize?${new URLSearchParams({ response_type: 'code', code_challenge_method: 'S256', ...params })}`;
}

/** A browser: GET with its cookies, remembering what the service sets. */
export async function visit(app: FastifyInstance, jar: CookieJar, url: string) {
  const response = await app.inject({ method: 'GET', url, headers: { cookie: jar.header() } });
  jar.take(response.headers['set-cookie']);
  return response;
}

/** Fills in and sends the login page's form, as a browser would. */
export async function signIn(app: FastifyInstance, jar: CookieJar, loginUrl: string, username: string, password = 'long enough') {
  const page = await visit(app, jar, loginUrl);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const returnTo = /name="return_to" value="([^"]+)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&');
  const body = form({ username, password, csrf, ...(returnTo === undefined ? {} : { return_to: returnTo }) });
  const response = await app.inject({ method: 'POST', url: '/login', payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
  jar.take(response.headers['set-cookie']);
  return response;
}

/** Registers a user with the password `long enough`; answers its id. */
export async function register(app: FastifyInstance, username: string) {
  const response = await app.inject({ method: 'POST', url: '/account/register', payload: { username, password: 'long enough' } });
  if (response.statusCode !== 201) throw new Error(response.body);
  return response.json() as { id: string };
}

/** Allows the consent page's request, as the person clicking Allow would; answers the redirect. */
export async function allowConsent(app: FastifyInstance, jar: CookieJar, consentPage: string, request: string) {
  const csrf = /name="csrf" value="([^"]+)"/.exec(consentPage)![1]!;
  const body = form({ authorization_request: request.slice(request.indexOf('?') + 1), decision: 'allow', csrf });
  return app.inject({ method: 'POST', url: '/oauth/authorize', payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
}

/**
 * The authorization code flow in a signed-in browser: the request, Allow when the consent page shows, and the code
 * redeemed; answers the token response (throws when no code comes back).
 */
export async function codeFlowTokens(app: FastifyInstance, jar: CookieJar, clientId: string, redirectUri: string, scope: string): Promise<Tokens> {
  const { verifier, challenge } = pkce();
  const request = authorizeUrl({ client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, scope });
  let answer = await visit(app, jar, request);
  if (answer.statusCode === 200) answer = await allowConsent(app, jar, answer.body, request);
  const code = new URL(String(answer.headers.location)).searchParams.get('code');
  if (code === null) throw new Error(`no code for ${clientId}: ${answer.statusCode} ${String(answer.headers.location)}`);
  return tokenRequest(app, { grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier });
}

/** Sends one of the account page's forms with the page's own CSRF token, as the signed-in browser would. */
export async function submitAccountForm(app: FastifyInstance, jar: CookieJar, action: string, fields: Record<string, string> = {}) {
  const page = await visit(app, jar, '/account');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const body = form({ csrf, ...fields });
  const response = await app.inject({ method: 'POST', url: action, payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
  jar.take(response.headers['set-cookie']);
  return response;
}
