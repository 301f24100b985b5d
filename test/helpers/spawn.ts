import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A file's absolute path, from the repository root. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

/** A child process with its output collected. */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/**
 * Runs a compiled entry point (`dist/…`, built by `npm test`'s pretest step) in a child process,
 * as a deployment would, with only the given environment.
 */
export function runBuilt(relative: string, args: string[], env: Record<string, string>): Running {
  const entry = repoPath(relative);
  if (!existsSync(entry)) throw new Error(`${relative} is missing: run npm run build (npm test does it first)`);
  const child = spawn(process.execPath, [entry, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Runs a server binary in the foreground until the test's teardown, which stops it with `signal` and waits for it to
 * exit; answers a reader of what it wrote on standard error so far (for the message of a server that did not start).
 */
export function runServer(
  t: { teardown(fn: () => unknown): void },
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  signal: NodeJS.Signals = 'SIGTERM',
): () => string {
  const child = spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  t.teardown(async () => {
    child.kill(signal);
    await exited;
  });
  return () => stderr;
}

/**
 * Renders a template as the examples say to: `envsubst` with exactly the given variable list (`''` for none: a plain
 * envsubst, which replaces every `$name`), the values given as its environment. Fails loudly without envsubst.
 */
export function envsubst(template: string, variables: string, values: Record<string, string>): string {
  const run = spawnSync('envsubst', variables === '' ? [] : [variables], {
    input: template,
    env: { PATH: process.env.PATH ?? '', ...values },
    encoding: 'utf8',
  });
  if (run.error || run.status !== 0) throw new Error(`envsubst failed (Debian's gettext-base; .ci/run installs it): ${run.error?.message ?? run.stderr}`);
  return run.stdout;
}
