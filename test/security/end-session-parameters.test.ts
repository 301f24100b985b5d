/**
 * The sign-out confirmation carries only the end-session endpoint's own parameters: query names that are properties of
 * every object (`constructor`, `toString`, `__proto__`…) must not become hidden fields, or submitting the form answers
 * 400 and the person stays signed in.
 */
import t from 'tap';
import { buildTestApp, form } from '../helpers/app.js';
import { CookieJar, register, SIGN_IN_CLIENTS, signIn, visit } from '../helpers/sign-in.js';

const CLIENTS = [{ ...SIGN_IN_CLIENTS[0], post_logout_redirect_uris: ['https://app.example/bye'] }];
const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', 'isPrototypeOf'];

/** The hidden fields of the page's form, in order. */
function hiddenFields(page: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields[name!] = value!.replaceAll('&amp;', '&');
  return fields;
}

t.test('prototype names in the query never reach the confirmation form, which then signs out', async (t) => {
  const { app } = await buildTestApp(t, { clients: CLIENTS });
  await register(app, 'proto-lena');
  const jar = new CookieJar();
  t.equal((await signIn(app, jar, '/login', 'proto-lena')).statusCode, 303);
  const query = new URLSearchParams({ client_id: 'spa', post_logout_redirect_uri: 'https://app.example/bye', state: 'st' });
  for (const name of PROTOTYPE_NAMES) query.append(name, 'x');
  const asked = await visit(app, jar, `/oauth/end-session?${query}`);
  t.equal(asked.statusCode, 200);
  t.match(asked.body, /Sign out\?/);
  const fields = hiddenFields(asked.body);
  t.same(Object.keys(fields).sort(), ['client_id', 'csrf', 'post_logout_redirect_uri', 'state'], 'only the endpoint’s parameters and the CSRF token');

  const confirm = form(fields);
  const confirmed = await app.inject({
    method: 'POST',
    url: '/oauth/end-session',
    payload: confirm.payload,
    headers: { ...confirm.headers, cookie: jar.header() },
  });
  t.equal(confirmed.statusCode, 302, confirmed.body);
  t.equal(confirmed.headers.location, 'https://app.example/bye?state=st');
  jar.take(confirmed.headers['set-cookie']);
  t.equal((await visit(app, jar, '/account')).headers.location, '/login', 'the person is signed out');
});
