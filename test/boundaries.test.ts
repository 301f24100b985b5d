/**
 * Boundaries that hold by structure: each test reads the import lines of src/ and fails when a module reaches
 * past the layer it belongs to. The README's layout table says what lives where.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import t from 'tap';

/** Every import or re-export of a TypeScript file under src/: the module it names, and whether it is type-only. */
async function importsOf(file: string): Promise<Array<{ from: string; typeOnly: boolean }>> {
  const source = await readFile(join('src', file), 'utf8');
  return [...source.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)].map((match) => ({ from: match[3]!, typeOnly: match[2] !== undefined }));
}

/** A relative import resolved to a path under src/ (`store/types.js`); a package name as it is. */
function resolved(file: string, from: string): string {
  return from.startsWith('.') ? normalize(join(dirname(file), from)) : from;
}

const sources = (await readdir('src', { recursive: true })).filter((file) => file.endsWith('.ts'));
const under = (folder: string) => sources.filter((file) => file.startsWith(`${folder}/`));

t.test('routes and grants reach state through services: nothing but types from src/store/, and no store on their services', async (t) => {
  const files = [...under('routes'), ...under('grants')];
  t.ok(files.length > 10, 'the scan finds the routes and grants');
  for (const file of files) {
    const values = (await importsOf(file)).filter((entry) => !entry.typeOnly && resolved(file, entry.from).startsWith('store/'));
    t.same(values.map((entry) => entry.from), [], `${file} imports no store module`);
    t.notMatch(await readFile(join('src', file), 'utf8'), /\bservices\.store\b/, `${file} has no services.store`);
  }
});

t.test('only src/users/ checks passwords: no other module imports the hasher, so no route can skip the throttle', async (t) => {
  const importers: string[] = [];
  for (const file of sources) if ((await importsOf(file)).some((entry) => resolved(file, entry.from) === 'users/password-hasher.js')) importers.push(file);
  t.ok(importers.length > 0, 'the scan finds the importers');
  t.same(importers.filter((file) => !file.startsWith('users/')), [], `importers: ${importers.join(', ')}`);
});

t.test('the verifier library needs nothing of the server: jose, Fastify types, node:* and a few pure modules it shares', async (t) => {
  const shared = new Set(['tokens/jws-structure.js', 'tokens/clock-tolerance.js', 'http/bearer-syntax.js', 'revocation/lists.js']);
  const allowed = (file: string, entry: { from: string; typeOnly: boolean }) => {
    const target = resolved(file, entry.from);
    return target === 'jose' || target.startsWith('node:') || (entry.from === 'fastify' && entry.typeOnly) || target.startsWith('verifier/') || shared.has(target);
  };
  for (const file of under('verifier')) {
    t.same((await importsOf(file)).filter((entry) => !allowed(file, entry)).map((entry) => entry.from), [], file);
  }
  for (const module of shared) {
    const file = module.replace(/\.js$/, '.ts');
    // The one type it borrows, RevocationEntry, is a plain record shape.
    const outside = (await importsOf(file)).filter((entry) => !entry.from.startsWith('node:') && entry.from !== 'jose' && !(entry.typeOnly && resolved(file, entry.from) === 'store/types.js'));
    t.same(outside.map((entry) => entry.from), [], `${file}, shared with the verifier, imports nothing of the server`);
  }
});
