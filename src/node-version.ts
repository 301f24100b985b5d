/** The Node.js release lines the service runs on (package.json `engines`, `.nvmrc`): the LTS lines 22 and 24. */
export const SUPPORTED_NODE_MAJORS: readonly number[] = [22, 24];

/**
 * Why this Node.js cannot run the service, or undefined when it can: an older line has reached its end of life
 * (Node 20 on 2026-04-30) and gets no security fixes, so the service refuses it rather than run unpatched.
 */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= SUPPORTED_NODE_MAJORS[0]!) return undefined;
  return `Node.js ${version} is not supported: tokensmith runs on Node.js ${SUPPORTED_NODE_MAJORS.join(' or ')} (the version in .nvmrc; CONTRIBUTING.md says how to get it)`;
}

/** Exits with one line (`prefix` and why) when this Node.js cannot run the service; the entry points call it first. */
export function exitOnUnsupportedNode(prefix: string): void {
  const unsupported = unsupportedNode();
  if (unsupported === undefined) return;
  process.stderr.write(`${prefix}${unsupported}\n`);
  process.exit(1);
}
