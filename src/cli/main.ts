import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, ServiceError } from '../errors.js';
import { KeyAdminError } from '../keys/rotation.js';
import { exitOnUnsupportedNode } from '../node-version.js';
import { COMMANDS, type CliIo, type CliOptions, type Command } from './commands.js';

export type { CliIo } from './commands.js';

class UsageError extends Error {}

function synopsis(command: Command): string {
  const options = (command.options ?? []).map((option) => `[--${option} ${option.toUpperCase()}]`);
  return [...command.words, ...command.args, ...options].join(' ');
}

/** Every option that takes a value, of any command. */
const VALUE_OPTIONS: ReadonlySet<string> = new Set(COMMANDS.flatMap((command) => command.options ?? []));

/** The usage of these commands, one line each. */
function usage(commands: readonly Command[]): string {
  return `usage: npm run cli -- <command> [--json] [--help]   (--json: the answer as one JSON line)\n${commands.map((command) => `  ${synopsis(command).padEnd(58)} ${command.help}`).join('\n')}`;
}

const USAGE = usage(COMMANDS);

/** The commands of the group the positionals name (`keys`, `users`, `users sessions`…), when they name one. */
function group(positionals: string[]): Command[] {
  if (positionals.length === 0) return [];
  return COMMANDS.filter((command) => command.words.length > positionals.length && positionals.every((word, i) => command.words[i] === word));
}

/** The command the first positionals name. */
function findCommand(positionals: string[]): Command {
  const command = COMMANDS.find((candidate) => candidate.words.every((word, i) => positionals[i] === word));
  const members = group(positionals);
  if (!command && members.length > 0)
    throw new UsageError(`${positionals.join(' ')} needs a command: ${members.map((member) => member.words.join(' ')).join(', ')}`);
  if (!command) throw new UsageError(positionals.length === 0 ? 'a command is needed' : `unknown command: ${positionals.join(' ')}`);
  return command;
}

/**
 * The command line: `--help` or `-h` anywhere, `--json`, `--name value` or `--name=value` for the options a command
 * takes, `--` ends the options, an unknown `--option` is a usage error, and every other word is an argument, also
 * one that begins with a single `-`: a kid is a base64url thumbprint (RFC 7638), and one in 64 begins with `-`
 * (parseArgs would read `keys retire -tQ…` as options). A kid that begins with `--` goes after `--`.
 */
function parse(argv: string[]): { help: boolean; positionals: string[]; options: Record<string, string | true> } {
  const end = argv.indexOf('--');
  const words = end < 0 ? argv : argv.slice(0, end);
  const options: Record<string, string | true> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    if (word === '--help' || word === '-h') help = true;
    else if (word === '--json') options.json = true;
    else if (word.startsWith('--')) {
      const [name, inline] = word.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (!VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option --${name}`);
      const value = inline ?? words[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    } else positionals.push(word);
  }
  return { help, positionals: [...positionals, ...(end < 0 ? [] : argv.slice(end + 1))], options };
}

/** The options a command takes; anything else it was given is a usage error. */
function checkedOptions(command: Command, options: Record<string, string | true>): CliOptions {
  const unknown = Object.keys(options).find((name) => name !== 'json' && !(command.options ?? []).includes(name));
  if (unknown !== undefined) throw new UsageError(`unknown option --${unknown}`);
  return options;
}

/** The arguments after the command's words, checked against its synopsis (`[NAME]` may be left out). */
function checkedArgs(command: Command, args: string[]): string[] {
  const required = command.args.filter((arg) => !arg.startsWith('[')).length;
  if (args.length < required || args.length > command.args.length)
    throw new UsageError(`${command.words.join(' ')} takes ${command.args.length === 0 ? 'no arguments' : command.args.join(' ')}`);
  return args;
}

/** Runs one CLI command; returns the process exit code. Errors are one line on stderr, never a stack trace. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const { help, positionals, options } = parse(argv);
    if (help && positionals.length === 0) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const members = group(positionals);
    if (help && members.length > 0) {
      io.stdout.write(`${usage(members)}\n`);
      return 0;
    }
    const command = findCommand(positionals);
    if (help) {
      io.stdout.write(`usage: npm run cli -- ${synopsis(command)}\n  ${command.help}; --json answers one JSON line\n`);
      return 0;
    }
    const checked = checkedOptions(command, options);
    await command.run(checkedArgs(command, positionals.slice(command.words.length)), checked, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError) io.stderr.write(`configuration error: ${error.message}\n`);
    else if (error instanceof KeyAdminError || error instanceof ServiceError) io.stderr.write(`${error.message}\n`);
    else io.stderr.write(`failed: ${(error as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  exitOnUnsupportedNode('failed: ');
  process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
}
