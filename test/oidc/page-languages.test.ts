import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config.js';
import en from '../../src/http/locales/en.js';
import { loadPageLocales } from '../../src/http/page-text.js';
import { buildTestApp, tempDir } from '../helpers/app.js';
import { runBuilt } from '../helpers/spawn.js';

// The pages speak the person's language when a translation serves it: a second language is one JSON file in
// PAGES_LOCALES_DIR. ui_locales (OpenID Connect Core §3.1.2.1) comes first, then Accept-Language (RFC 9110 §12.5.4),
// then English; a message the translation lacks stays English; a broken file stops the start.

const GERMAN = {
  'login.title': 'Anmelden',
  'login.button': 'Anmelden',
  'field.username': 'Benutzername',
  'field.password': 'Passwort',
  'login.wrong_credentials': 'Benutzername oder Passwort ist falsch.',
  'consent.asks': 'Die Anwendung {name} möchte:',
};
const FRENCH = { 'login.title': 'Se connecter', 'field.username': "Nom d'utilisateur" };

async function localesDir(t: Test): Promise<string> {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'de.json'), JSON.stringify(GERMAN));
  await writeFile(join(dir, 'fr.json'), JSON.stringify(FRENCH));
  return dir;
}

t.test('a page speaks the first served language of ui_locales, else of Accept-Language, else English', async (t) => {
  const { app } = await buildTestApp(t, { config: { pages: { ...loadConfig({}).pages, localesDir: await localesDir(t) } } });
  const login = async (query: string, acceptLanguage?: string) => {
    const response = await app.inject({ url: `/login${query}`, headers: acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage } });
    t.equal(response.statusCode, 200);
    return { lang: /<html lang="([^"]+)"/.exec(response.body)?.[1], title: /<h1>([^<]*)<\/h1>/.exec(response.body)?.[1], body: response.body };
  };
  t.match(await login('', 'de-AT,de;q=0.9,en;q=0.5'), { lang: 'de', title: 'Anmelden' }, 'de-AT is served German');
  t.match(await login('', 'fr;q=0.4, de;q=0.8'), { lang: 'de', title: 'Anmelden' }, 'by q-value, not by order');
  t.match(await login('', 'de;q=0, fr'), { lang: 'fr', title: 'Se connecter' }, 'q=0 refuses a language');
  t.match(await login('', 'ja, *'), { lang: 'en', title: 'Sign in' }, 'no served language: English');
  t.match(await login(''), { lang: 'en', title: 'Sign in' }, 'no preference: English');
  const returnTo = `/oauth/authorize?${new URLSearchParams({ client_id: 'web', ui_locales: 'fr de' })}`;
  const fromUiLocales = await login(`?${new URLSearchParams({ return_to: returnTo })}`, 'de');
  t.match(fromUiLocales, { lang: 'fr', title: 'Se connecter' }, "the authorization request's ui_locales comes before Accept-Language");
  t.match(fromUiLocales.body, /<label for="username">Nom d&#39;utilisateur<\/label>/, 'translated, and escaped');
  t.match(fromUiLocales.body, /<label for="password">Password<\/label>/, 'a message the translation lacks stays English');

  const wrong = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'de' },
    payload: 'username=nobody&password=wrong-password&csrf=x',
  });
  t.match(wrong.body, /lang="de"/, 'a refused form answers in the same language');
});

t.test('a translation is checked at start: known keys, strings, every placeholder kept, a language tag as its name', async (t) => {
  t.same((await loadPageLocales(await localesDir(t))).languages, ['en', 'de', 'fr']);
  const cases: Array<[string, string, RegExp]> = [
    ['de.json', JSON.stringify({ 'login.titel': 'Anmelden' }), /de\.json: unknown message login\.titel/],
    ['de.json', JSON.stringify({ 'consent.asks': 'Die Anwendung möchte:' }), /de\.json: consent\.asks must keep the placeholders \{name\}/],
    ['de.json', JSON.stringify({ 'login.title': 42 }), /login\.title must be a string/],
    ['de.json', '{', /de\.json is not valid JSON/],
    ['german.json', '{}', /german\.json: the file name must be a language tag/],
  ];
  for (const [name, content, message] of cases) {
    const dir = await tempDir(t);
    await writeFile(join(dir, name), content);
    await t.rejects(loadPageLocales(dir), { variable: 'PAGES_LOCALES_DIR', message }, name);
  }
  await t.rejects(loadPageLocales('/nonexistent/locales'), { variable: 'PAGES_LOCALES_DIR', message: /cannot read/ });
});

t.test('npm run cli -- messages prints the English messages, the file a translation starts from', async (t) => {
  const run = runBuilt('dist/cli/main.js', ['messages'], {});
  t.equal(await run.exited, 0);
  t.same(JSON.parse(run.stdout()), en);
});
