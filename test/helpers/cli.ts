import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import { testClock } from './app.js';

/** What one in-process CLI run printed and answered; `json()` parses its standard output (a --json run). */
export interface CliRun {
  code: number;
  out: string;
  err: string;
  json(): Record<string, unknown> & { items: Array<Record<string, unknown>> };
}

/** Runs the CLI in process with the given environment (cheap argon2 unless it says otherwise), standard input and clock. */
export async function cli(argv: string[], env: Record<string, string> = {}, stdin = '', clock = testClock()): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(argv, { stdin: Readable.from([stdin]), stdout, stderr, env: { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', ...env }, clock });
  return { code, out, err, json: () => JSON.parse(out) as ReturnType<CliRun['json']> };
}
