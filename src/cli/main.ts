import type { Readable, Writable } from 'node:stream';
import { realpathSync } from 'node:fs';
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

const USAGE = `usage: npm run cli -- <command>
  keys list              list signing keys and their state
  keys rotate            add a key; it signs after the JWKS max-age plus the reload interval
  keys retire KID        stop signing with KID; it stays published until its tokens expire
  users add NAME         add a user; the password is read from standard input
  clients secret         print a new client secret and the client_secret_hash for CLIENTS_FILE
  openapi                print openapi.yaml as built from the route schemas`;

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

async function keysCommand(args: string[], config: Config, io: CliIo): Promise<void> {
  const options = keyOptions(config, io);
  const [action, kid] = args;
  if (action === 'list') {
    for (const key of await listKeys(options)) {
      io.stdout.write(`${key.kid}  ${key.state.padEnd(8)}  created ${iso(key.created_at)}  signs from ${iso(key.activate_at)}  retired ${iso(key.retired_at)}\n`);
    }
  } else if (action === 'rotate') {
    const key = await rotateKey(options);
    io.stdout.write(`added key ${key.kid}: published now, signs from ${iso(key.activate_at)}\n`);
  } else if (action === 'retire' && kid) {
    const key = await retireKey(options, kid);
    io.stdout.write(`retired key ${key.kid}: no longer signs; published until its tokens have expired\n`);
  } else {
    throw new UsageError('keys takes list, rotate or retire KID');
  }
}

async function usersCommand(args: string[], config: Config, io: CliIo): Promise<void> {
  const [action, name] = args;
  if (action !== 'add' || !name) throw new UsageError('users takes add NAME');
  // The embedded store lives in this process only: a user added to it would be gone when the command exits.
  if (config.store === 'memory') throw new ConfigError('REDIS_URL', 'users add writes to the store the service uses; set REDIS_URL (the embedded store lives in one process only)');
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

function clientsCommand(args: string[], io: CliIo): void {
  if (args[0] !== 'secret') throw new UsageError('clients takes secret');
  const secret = generateClientSecret();
  io.stdout.write(`client_secret:      ${secret}\nclient_secret_hash: ${hashClientSecret(secret)}\n`);
  io.stderr.write('Give the secret to the client once; put only the hash in CLIENTS_FILE.\n');
}

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === 'clients') clientsCommand(args, io);
    else if (command === 'openapi') io.stdout.write(await renderOpenApi());
    else if (command === 'keys') await keysCommand(args, loadConfig(io.env, 'command'), io);
    else if (command === 'users') await usersCommand(args, loadConfig(io.env, 'command'), io);
    else throw new UsageError(command === undefined ? 'a command is needed' : `unknown command: ${command}`);
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
