#!/usr/bin/env node
// The release procedure (CONTRIBUTING.md, "Releasing"): checks that every place that names the version agrees and
// that CHANGELOG.md has the release's section, then builds what a release ships: the verifier package's tarball and
// the image, tagged tokensmith:<version> (the name the deployment examples use).
//
//   node .ci/release.mjs --check           checks only (CI's test runs it on the repository)
//   node .ci/release.mjs [--out DIR]       checks, builds, packs @tokensmith/verifier into DIR (default release/)
//   node .ci/release.mjs --image           also builds the image with $CONTAINER_BUILD (default: docker build)
//   node .ci/release.mjs --image-name      prints the image's name and tag (test/container/run.sh builds under it)
//
// Run from the repository's root (npm run release -- … does). Exits 1 with one line per problem.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
};
const read = (path) => readFileSync(path, 'utf8');
const json = (path) => JSON.parse(read(path));

const root = json('package.json');
const version = root.version;
const image = `tokensmith:${version}`;

if (args.includes('--image-name')) {
  console.log(image);
  process.exit(0);
}

/** Semantic Versioning 2.0.0 §2 and §9: MAJOR.MINOR.PATCH, an optional pre-release. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

const problems = [];
if (!SEMVER.test(version ?? '')) problems.push(`package.json: version "${version}" is not a semantic version (MAJOR.MINOR.PATCH)`);
const verifier = json('packages/verifier/package.json');
if (verifier.version !== version) problems.push(`packages/verifier/package.json: version ${verifier.version}, the service's is ${version}: they are released together`);
if (root.dependencies?.['@tokensmith/verifier'] !== version) {
  problems.push(`package.json: depends on @tokensmith/verifier ${root.dependencies?.['@tokensmith/verifier']}, not ${version}`);
}
const openapiVersion = /^ {2}version: (.+)$/m.exec(read('openapi.yaml'))?.[1];
if (openapiVersion !== version) problems.push(`openapi.yaml: info.version ${openapiVersion}, not ${version} (npm run openapi)`);
for (const file of ['LICENSE', 'SECURITY.md', 'packages/verifier/LICENSE']) if (!existsSync(file)) problems.push(`${file} is missing`);

// Keep a Changelog 1.1.0: an [Unreleased] section first, then one per release, `## [1.2.3] - 2026-12-07`.
const changelog = existsSync('CHANGELOG.md') ? read('CHANGELOG.md') : '';
const sections = [...changelog.matchAll(/^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$/gm)].map((match) => ({ name: match[1], date: match[2], at: match.index }));
if (changelog === '') problems.push('CHANGELOG.md is missing');
else if (sections[0]?.name !== 'Unreleased') problems.push('CHANGELOG.md: the first section must be ## [Unreleased]');
const release = sections.find((section) => section.name === version);
if (changelog !== '' && release === undefined) problems.push(`CHANGELOG.md: no "## [${version}] - YYYY-MM-DD" section`);
else if (release !== undefined) {
  if (release.date === undefined || Number.isNaN(Date.parse(release.date))) problems.push(`CHANGELOG.md: the ${version} section has no date`);
  const next = sections.find((section) => section.at > release.at);
  const body = changelog.slice(release.at, next?.at ?? changelog.length).split('\n').slice(1).join('\n');
  if (!/^### (Added|Changed|Deprecated|Removed|Fixed|Security)$/m.test(body)) problems.push(`CHANGELOG.md: the ${version} section lists no change (### Added, Changed, Fixed…)`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`release: ${problem}`);
  process.exit(1);
}
console.log(`release ${version}: versions, changelog, license and security policy agree`);
if (args.includes('--check')) process.exit(0);

const run = (command, commandArgs) => execFileSync(command, commandArgs, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const out = resolve(option('--out') ?? 'release');
mkdirSync(out, { recursive: true });
run('npm', ['run', 'build', '--silent']);
const packed = JSON.parse(run('npm', ['pack', '--json', '--workspace', '@tokensmith/verifier', '--pack-destination', out]))[0];
console.log(`verifier package: ${resolve(out, packed.filename)} (${packed.entryCount} files, ${packed.size} bytes)`);
if (args.includes('--image')) {
  const [builder, ...builderArgs] = (process.env.CONTAINER_BUILD ?? 'docker build').split(' ').filter(Boolean);
  execFileSync(builder, [...builderArgs, '-t', image, '.'], { stdio: 'inherit' });
  console.log(`image: ${image}`);
}
console.log(`next: git tag -a v${version} -m "tokensmith ${version}" && git push origin v${version}`);
