import { readFile } from 'node:fs/promises';
import t from 'tap';
import { configurationVariables, documentedSettings } from '../helpers/configuration.js';
import { repoPath } from '../helpers/spawn.js';

// docs/reference/configuration.md and src/config.ts describe one configuration: every variable the code reads is
// in the reference, nothing the reference lists is ignored by the code, and each whole-number default the code
// gives is the default the reference states.

t.test('the configuration reference lists exactly the variables the configuration reads', async (t) => {
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
});

t.test("each whole-number default in the code is the reference's", async (t) => {
  const source = await readFile(repoPath('src/config.ts'), 'utf8');
  const documented = await documentedSettings();
  const defaults = [...source.matchAll(/integer\(env, '([A-Z0-9_]+)', ([0-9_]+),/g)].map(
    (match) => [match[1]!, Number(match[2]!.replaceAll('_', ''))] as const,
  );
  t.ok(defaults.length > 15, `${defaults.length} whole-number settings`);
  for (const [name, value] of defaults) {
    const stated = documented.get(name);
    // A port of 0 means no listener, which the reference calls unset.
    const expected = value === 0 && stated === 'unset' ? 'unset' : `\`${value}\``;
    t.equal(stated?.replaceAll(',', ''), expected, `${name}: the reference says ${stated ?? 'nothing'}, the code ${value}`);
  }
});
