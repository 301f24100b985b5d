import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import t from 'tap';
import { repoPath } from '../helpers/spawn.js';

// The documentation is a README that maps a docs/ tree. Every relative link in it must lead somewhere: to a file or
// folder of the repository and, with a #fragment into a Markdown file, to one of its headings.

const README_LIMIT_BYTES = 10 * 1024;

/** Every Markdown file of the documentation: the README, CONTRIBUTING.md, docs/, and the READMEs of the packages, examples and keys folders. */
async function documents(): Promise<string[]> {
  const found = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'SECURITY.md', 'packages/verifier/README.md', 'keys/README.md'];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(repoPath(folder), { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.md')) found.push(path);
    }
  };
  await walk('docs');
  await walk('examples');
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens; repeats get -1, -2… */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** The targets of a document's Markdown links (inline code and fenced blocks left out). */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

t.test('every relative link in the documentation resolves, to a file and to a heading', async (t) => {
  const files = await documents();
  t.ok(files.length >= 15, `${files.length} documents`);
  let checked = 0;
  for (const file of files) {
    const markdown = await readFile(repoPath(file), 'utf8');
    for (const target of links(markdown)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, fragment] = target.split('#', 2) as [string, string | undefined];
      const resolved = path === '' ? repoPath(file) : join(dirname(repoPath(file)), decodeURIComponent(path));
      t.ok(await exists(resolved), `${file}: ${target} exists`);
      if (fragment !== undefined && resolved.endsWith('.md') && (await exists(resolved))) {
        const headings = anchors(await readFile(resolved, 'utf8'));
        t.ok(headings.has(fragment), `${file}: ${target} names a heading of ${relative(repoPath('.'), resolved)}`);
      }
      checked += 1;
    }
  }
  t.ok(checked >= 50, `${checked} links checked`);
});

t.test('the README stays short: what it is, a quick start, and a map of docs/', async (t) => {
  const readme = await readFile(repoPath('README.md'));
  t.ok(readme.length <= README_LIMIT_BYTES, `README.md is ${readme.length} bytes (at most ${README_LIMIT_BYTES})`);
  const text = readme.toString('utf8');
  for (const file of await documents()) {
    if (!file.startsWith('docs/')) continue;
    t.ok(text.includes(`](${file})`), `the README's map links ${file}`);
  }
});
