import { readFile } from 'node:fs/promises';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { renderConfigurationReference, SETTINGS, type Setting } from '../../src/settings.js';
import { configurationVariables, documentedSettings } from '../helpers/configuration.js';
import { repoPath } from '../helpers/spawn.js';

// One configuration, three views: the schema (src/settings.ts), the code that reads it (src/config.ts, which takes
// each variable's name as the schema's type and each whole number's range and default from it), and the reference
// (docs/reference/configuration.md, rendered from the schema by `npm run docs:config`).

t.test('the reference is the schema rendered: `npm run docs:config` leaves it as it is', async (t) => {
  const reference = await readFile(repoPath('docs/reference/configuration.md'), 'utf8');
  t.equal(reference, renderConfigurationReference(), 'docs/reference/configuration.md is generated; run npm run docs:config');
});

t.test('the configuration reads exactly the variables of the schema', async (t) => {
  const [read, documented] = [await configurationVariables(), await documentedSettings()];
  t.ok(read.size > 40, `${read.size} variables read by src/config.ts`);
  t.same(
    [...read].filter((name) => !documented.has(name)),
    [],
    'every variable the code reads is documented',
  );
  t.same(
    [...documented.keys()].filter((name) => !read.has(name)),
    [],
    'every documented variable is read by the code',
  );
  t.equal(documented.size, SETTINGS.length, 'one row per setting');
});

t.test('each whole number is refused outside the range the schema documents, and takes its default from it', async (t) => {
  const numbers = (SETTINGS as readonly Setting[]).filter((setting) => setting.integer !== undefined);
  t.ok(numbers.length > 20, `${numbers.length} whole-number settings`);
  for (const { name, integer } of numbers) {
    const { min, max } = integer!;
    // A setting that only applies with another one is given it, so that the check reaches the setting itself.
    const base = name === 'REDIS_WAIT_REPLICAS' ? { REDIS_URL: 'redis://127.0.0.1:1' } : {};
    t.throws(() => loadConfig({ ...base, [name]: String(max + 1) }), { message: new RegExp(`${name}: expected a whole number from ${min} to ${max}`) });
    if (min > 0) t.throws(() => loadConfig({ ...base, [name]: String(min - 1) }), { message: new RegExp(name) }, `${name} below ${min}`);
    t.doesNotThrow(() => loadConfig({ ...base, [name]: String(max) }), `${name}=${max} is taken`);
  }
  const defaults = loadConfig({});
  t.equal(defaults.port, 3000);
  t.equal(defaults.accessTokenTtl, 900);
  t.equal(defaults.refreshTokenTtl, 30 * 86_400);
});

t.test("each word default in the code is the reference's", async (t) => {
  const source = await readFile(repoPath('src/config.ts'), 'utf8');
  const documented = await documentedSettings();
  const defaults = [
    ...source.matchAll(/(?:text|path)\(env, '([A-Z0-9_]+)', '([^']*)'\)/g),
    ...source.matchAll(/oneOf\(env, '([A-Z0-9_]+)', [^;]*?, '([^']*)'\)/g),
  ].map((match) => [match[1]!, match[2]!] as const);
  t.ok(defaults.length > 8, `${defaults.length} word settings`);
  for (const [name, value] of defaults) {
    // STORE is read only when set (storeKind): its default is the Redis settings', as the reference says.
    if (name === 'STORE') continue;
    const stated = documented.get(name);
    if (value === '') t.match(stated, /^(empty|unset)$/, `${name}: empty by default`);
    else t.equal(stated, `\`${value}\``, `${name}: the reference says ${stated ?? 'nothing'}, the code ${value}`);
  }
});
