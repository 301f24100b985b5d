import type { FastifyInstance } from 'fastify';
import { form } from './app.js';
import type { SoftAuthenticator } from './passkey-authenticator.js';
import { CookieJar, signIn, visit } from './sign-in.js';

type App = FastifyInstance;

/** The CSRF token of a page. */
export const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)![1]!;

/** Posts JSON as the pages' script does, with the browser's cookies. */
export async function postJson(app: App, jar: CookieJar, url: string, payload: object) {
  const response = await app.inject({ method: 'POST', url, payload, headers: { cookie: jar.header() } });
  jar.take(response.headers['set-cookie']);
  return response;
}

/** Posts a form with the browser's cookies. */
export async function postForm(app: App, jar: CookieJar, url: string, fields: Record<string, string>) {
  const body = form(fields);
  const response = await app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie: jar.header() } });
  jar.take(response.headers['set-cookie']);
  return response;
}

/** Adds a passkey from the account page of a signed-in browser, as the script would; answers the final response. */
export async function addPasskey(app: App, jar: CookieJar, authenticator: SoftAuthenticator, name = 'Laptop', password = 'long enough') {
  const csrf = csrfOf((await visit(app, jar, '/account')).body);
  const options = await postJson(app, jar, '/account/passkeys/options', { csrf, name, current_password: password });
  if (options.statusCode !== 200) return { options, added: undefined };
  const added = await postForm(app, jar, '/account/passkeys/add', { csrf, credential: JSON.stringify(authenticator.create(options.json())) });
  return { options, added };
}

/** Signs a browser in with a passkey from `page` (the login page, or a login URL), as the script would. */
export async function passkeySignIn(
  app: App,
  jar: CookieJar,
  authenticator: SoftAuthenticator,
  loginUrl = '/login',
  tamper: Parameters<SoftAuthenticator['get']>[1] = {},
) {
  const page = (await visit(app, jar, loginUrl)).body;
  const csrf = csrfOf(page);
  const returnTo = /name="return_to" value="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');
  const options = await postJson(app, jar, '/login/passkey/options', { csrf });
  const answer = JSON.stringify(authenticator.get(options.json(), tamper));
  const response = await postForm(app, jar, '/login/passkey', { csrf, credential: answer, ...(returnTo === undefined ? {} : { return_to: returnTo }) });
  return { options, response, answer, csrf };
}

/** Registers a user (password `long enough`) and answers a browser signed in as them. */
export async function registered(app: App, username: string) {
  await app.inject({ method: 'POST', url: '/account/register', payload: { username, password: 'long enough' } });
  const jar = new CookieJar();
  await signIn(app, jar, '/login', username);
  return jar;
}
