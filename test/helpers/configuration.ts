import { readFile } from 'node:fs/promises';
import { repoPath } from './spawn.js';

/** Quoted upper-case words of src/config.ts that are values, not variables (signing algorithms). */
const NOT_VARIABLES = /^(RS|ES)\d+$/;

/** Every environment variable the configuration reads: the names src/config.ts quotes or reads as `env.NAME`. */
export async function configurationVariables(): Promise<Set<string>> {
  const source = await readFile(repoPath('src/config.ts'), 'utf8');
  const names = [...source.matchAll(/'([A-Z][A-Z0-9_]+)'|env\.([A-Z][A-Z0-9_]+)/g)].map((match) => (match[1] ?? match[2])!);
  return new Set(names.filter((name) => !NOT_VARIABLES.test(name)));
}

/** The rows of the configuration reference's table: each variable and its Default column as written. */
export async function documentedSettings(): Promise<Map<string, string>> {
  const reference = await readFile(repoPath('docs/reference/configuration.md'), 'utf8');
  return new Map([...reference.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|([^|]*)\|/gm)].map((match) => [match[1]!, match[2]!.trim()]));
}

/** The variables the configuration reference documents. */
export async function documentedVariables(): Promise<Set<string>> {
  return new Set((await documentedSettings()).keys());
}
