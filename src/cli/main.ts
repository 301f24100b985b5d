import type { Readable, Writable } from 'node:stream';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateClientSecret, hashClientSecret } from '../clients/secret.js';
import { loadConfig, type Config } from '../config.js';
import { ConfigError, ServiceError } from '../errors.js';
import { KeyAdminError, listKeys, retireKey, rotateKey, type KeyAdminOptions } from '../keys/admin.js';
import { createLogger } from '../logger.js';
import { renderOpenApi } from '../openapi/render.js';
import { openStore } from '../store/open.js';
import { createUserService } from '../users/user-service.js';

/** The streams and environment a CLI run uses; tests pass their own. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Epoch milliseconds. */
  clock?: () => number;
}

class UsageError extends Error {}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function iso(seconds: number | undefined): string {
  return seconds === undefined ? '-' : new Date(seconds * 1000).toISOString();
}

function keyOptions(config: Config, io: CliIo): KeyAdminOptions {
  return { ...config, dir: config.keysDir, now: Math.floor((io.clock ?? Date.now)() / 1000) };
}

/** One CLI command: the words that name it, its positional arguments, a line of help, and what it does. */
interface Command {
  words: readonly string[];
  args: readonly string[];
  help: string;
  run(args: string[], io: CliIo): Promise<void>;
}

/** The KEYS_DIR a key command reads; a missing folder is a configuration error, not a stack trace. */
function existingKeysDir(config: Config): Config {
  if (!existsSync(config.keysDir)) throw new ConfigError('KEYS_DIR', `no such folder: ${config.keysDir}`);
  return config;
}

const COMMANDS: readonly Command[] = [
  {
    words: ['keys', 'list'],
    args: [],
    help: 'list signing keys and their state',
    async run(_args, io) {
      for (const key of await listKeys(keyOptions(existingKeysDir(loadConfig(io.env, 'command')), io))) {
        io.stdout.write(
          `${key.kid}  ${key.state.padEnd(8)}  created ${iso(key.created_at)}  signs from ${iso(key.activate_at)}  retired ${iso(key.retired_at)}\n`,
        );
      }
    },
  },
  {
    words: ['keys', 'rotate'],
    args: [],
    help: 'add a key; it signs after the JWKS max-age plus the reload interval (at once in an empty KEYS_DIR)',
    async run(_args, io) {
      const key = await rotateKey(keyOptions(loadConfig(io.env, 'command'), io));
      io.stdout.write(`added key ${key.kid}: published now, signs from ${iso(key.activate_at)}\n`);
    },
  },
  {
    words: ['keys', 'retire'],
    args: ['KID'],
    help: 'stop signing with KID; it stays published until its tokens expire',
    async run([kid], io) {
      const key = await retireKey(keyOptions(existingKeysDir(loadConfig(io.env, 'command')), io), kid!);
      io.stdout.write(`retired key ${key.kid}: no longer signs; published until its tokens have expired\n`);
    },
  },
  {
    words: ['users', 'add'],
    args: ['NAME'],
    help: 'add a user to the Redis the service uses; the password is read from standard input',
    run: ([name], io) => addUser(name!, loadConfig(io.env, 'command'), io),
  },
  {
    words: ['clients', 'secret'],
    args: [],
    help: 'print a new client secret and the client_secret_hash for CLIENTS_FILE',
    async run(_args, io) {
      const secret = generateClientSecret();
      io.stdout.write(`client_secret:      ${secret}\nclient_secret_hash: ${hashClientSecret(secret)}\n`);
      io.stderr.write('Give the secret to the client once; put only the hash in CLIENTS_FILE.\n');
    },
  },
  {
    words: ['openapi'],
    args: [],
    help: 'print openapi.yaml as built from the route schemas',
    async run(_args, io) {
      io.stdout.write(await renderOpenApi());
    },
  },
];

function synopsis(command: Command): string {
  return [...command.words, ...command.args].join(' ');
}

const USAGE = `usage: npm run cli -- <command> [--help]\n${COMMANDS.map((command) => `  ${synopsis(command).padEnd(22)} ${command.help}`).join('\n')}`;

async function addUser(name: string, config: Config, io: CliIo): Promise<void> {
  // The embedded store lives in this process only: a user added to it would be gone when the command exits.
  if (config.store === 'memory')
    throw new ConfigError('REDIS_URL', 'users add writes to the store the service uses; set REDIS_URL (the embedded store lives in one process only)');
  const password = (await readAll(io.stdin)).replace(/\r?\n$/, '');
  const store = await openStore(config, createLogger('error'));
  try {
    const users = createUserService(store, config, io.clock ?? Date.now);
    const user = await users.register(name, password);
    io.stdout.write(`added user ${user.username} (id ${user.id})\n`);
  } finally {
    await store.close();
  }
}

/** The command the first positionals name. */
function findCommand(positionals: string[]): Command {
  const command = COMMANDS.find((candidate) => candidate.words.every((word, i) => positionals[i] === word));
  if (!command) throw new UsageError(positionals.length === 0 ? 'a command is needed' : `unknown command: ${positionals.join(' ')}`);
  return command;
}

/**
 * The command line: `--help` or `-h` anywhere, `--` ends the options, an unknown `--option` is a usage error, and
 * every other word is an argument, also one that begins with a single `-`: a kid is a base64url thumbprint
 * (RFC 7638), and one in 64 begins with `-` (parseArgs would read `keys retire -tQ…` as options). A kid that begins
 * with `--` goes after `--`.
 */
function parse(argv: string[]): { help: boolean; positionals: string[] } {
  const end = argv.indexOf('--');
  const words = end < 0 ? argv : argv.slice(0, end);
  const unknown = words.find((word) => word.startsWith('--') && word !== '--help');
  if (unknown !== undefined) throw new UsageError(`unknown option ${unknown}`);
  const isHelp = (word: string) => word === '--help' || word === '-h';
  const positionals = [...words.filter((word) => !isHelp(word)), ...(end < 0 ? [] : argv.slice(end + 1))];
  return { help: words.some(isHelp), positionals };
}

/** Runs one CLI command; returns the process exit code. Errors are one line on stderr, never a stack trace. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const { help, positionals } = parse(argv);
    if (help && positionals.length === 0) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const command = findCommand(positionals);
    if (help) {
      io.stdout.write(`usage: npm run cli -- ${synopsis(command)}\n  ${command.help}\n`);
      return 0;
    }
    const args = positionals.slice(command.words.length);
    if (args.length !== command.args.length)
      throw new UsageError(`${command.words.join(' ')} takes ${command.args.length === 0 ? 'no arguments' : command.args.join(' ')}`);
    await command.run(args, io);
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
  process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
}
