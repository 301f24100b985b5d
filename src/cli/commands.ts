import type { Readable, Writable } from 'node:stream';
import type { AdminActor } from '../admin/actor.js';
import type { AdminServices } from '../admin/admin-services.js';
import type { AdminKeyView } from '../admin/keys.js';
import { generateClientSecret, hashClientSecret } from '../clients/secret.js';
import { loadConfig, type Config } from '../config.js';
import { ConfigError, oauthError } from '../errors.js';
import { renderOpenApi } from '../openapi/render.js';
import { ENGLISH_MAIL_WORDS } from '../mail/templates.js';
import { renderConfigurationReference } from '../settings.js';
import english from '../http/locales/en.js';
import { existsSync } from 'node:fs';
import { keyAdmin, withAdmin } from './admin-context.js';
import { reviewConfiguration } from '../baseline-review.js';

/** The streams and environment a CLI run uses; tests pass their own. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Epoch milliseconds. */
  clock?: () => number;
}

/** The options of a run: `--json`, and the `--name value` ones a command takes. */
export type CliOptions = Readonly<Record<string, string | true>>;

/** One CLI command: the words that name it, its arguments (`[NAME]`: optional), its options, a line of help, and what it does. */
export interface Command {
  words: readonly string[];
  args: readonly string[];
  /** Options with a value; every command also takes `--json`. */
  options?: readonly string[];
  help: string;
  run(args: string[], options: CliOptions, io: CliIo): Promise<void>;
}

/** Who acts, in the audit log: an operator at the command line. */
const CLI_ACTOR: AdminActor = { via: 'cli' };

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A password from standard input (its final newline dropped); undefined when there is none. */
async function passwordFromStdin(io: CliIo): Promise<string | undefined> {
  const password = (await readAll(io.stdin)).replace(/\r?\n$/, '');
  return password === '' ? undefined : password;
}

/** A JSON object from standard input (a client entry, or the fields to change). */
async function objectFromStdin(io: CliIo): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readAll(io.stdin));
  } catch {
    throw oauthError('invalid_request', 'standard input must be a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw oauthError('invalid_request', 'standard input must be a JSON object');
  return value as Record<string, unknown>;
}

function iso(seconds: number | null | undefined): string {
  return seconds === undefined || seconds === null ? '-' : new Date(seconds * 1000).toISOString();
}

/** Writes the result: as one JSON line with --json, else as the lines `human` makes of it. */
function answer<T>(io: CliIo, options: CliOptions, result: T, human: (result: T) => string[]): void {
  io.stdout.write(
    options.json
      ? `${JSON.stringify(result)}\n`
      : human(result)
          .map((line) => `${line}\n`)
          .join(''),
  );
}

/** A page's items as lines, and where the next page starts. */
function pageLines<T>(page: { items: T[]; next_cursor: string | null }, line: (item: T) => string): string[] {
  return [...page.items.map(line), ...(page.next_cursor === null ? [] : [`next page: --cursor ${page.next_cursor}`])];
}

function pageOptions(options: CliOptions) {
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 100)) throw oauthError('invalid_request', '--limit must be 1 to 100');
  return { cursor: options.cursor as string | undefined, limit };
}

const config = (io: CliIo) => loadConfig(io.env, 'command');
const clockOf = (io: CliIo) => io.clock ?? Date.now;
const admin = <T>(io: CliIo, work: (services: AdminServices) => Promise<T>) => withAdmin(config(io), io.stderr, clockOf(io), work);

/** The KEYS_DIR a key command reads; a missing folder is a configuration error, not a stack trace. */
function existingKeysDir(settings: Config): Config {
  if (!existsSync(settings.keysDir)) throw new ConfigError('KEYS_DIR', `no such folder: ${settings.keysDir}`);
  return settings;
}

const keyLine = (key: AdminKeyView) =>
  `${key.kid}  ${key.alg}  ${key.state.padEnd(8)}  created ${iso(key.created_at)}  signs from ${iso(key.activate_at)}  retired ${iso(key.retired_at)}`;

const userLine = (user: { id: string; username: string; disabled: boolean; created_at: number; email: string | null; email_verified: boolean }) =>
  `${user.id}  ${user.username}  ${user.disabled ? 'disabled' : 'enabled'}  created ${iso(user.created_at)}${user.email === null ? '' : `  ${user.email}${user.email_verified ? ' (verified)' : ''}`}`;

/** Every command of the CLI. */
export const COMMANDS: readonly Command[] = [
  {
    words: ['keys', 'list'],
    args: [],
    help: 'list signing keys and their state',
    async run(_args, options, io) {
      const page = await keyAdmin(existingKeysDir(config(io)), io.stderr, clockOf(io)).list({ limit: 100 });
      answer(io, options, page.items, (keys) => keys.map(keyLine));
    },
  },
  {
    words: ['keys', 'rotate'],
    args: [],
    help: 'add a key; it signs after the JWKS max-age plus the reload interval (at once in an empty KEYS_DIR)',
    async run(_args, options, io) {
      const key = await keyAdmin(config(io), io.stderr, clockOf(io)).rotate(CLI_ACTOR);
      answer(io, options, key, () => [`added key ${key.kid}: published now, signs from ${iso(key.activate_at)}`]);
    },
  },
  {
    words: ['keys', 'retire'],
    args: ['KID'],
    help: 'stop signing with KID; it stays published until its tokens expire',
    async run([kid], options, io) {
      const key = await keyAdmin(existingKeysDir(config(io)), io.stderr, clockOf(io)).retire(kid!, CLI_ACTOR);
      answer(io, options, key, () => [`retired key ${key.kid}: no longer signs; published until its tokens have expired`]);
    },
  },
  {
    words: ['users', 'list'],
    args: [],
    options: ['query', 'cursor', 'limit'],
    help: 'list users (--query: a username prefix; --limit, --cursor: pages)',
    async run(_args, options, io) {
      const page = await admin(io, (services) => services.users.list(String(options.query ?? ''), pageOptions(options)));
      answer(io, options, page, (result) => pageLines(result, userLine));
    },
  },
  {
    words: ['users', 'add'],
    args: ['NAME'],
    help: 'add a user; the password is read from standard input (none: it cannot log in until one is set)',
    async run([name], options, io) {
      const password = await passwordFromStdin(io);
      const user = await admin(io, (services) => services.users.create(name!, password, CLI_ACTOR));
      answer(io, options, user, () => [`added user ${user.username} (id ${user.id})${password === undefined ? ', without a password' : ''}`]);
    },
  },
  ...(['disable', 'enable'] as const).map((verb): Command => ({
    words: ['users', verb],
    args: ['USER'],
    help: verb === 'disable' ? 'disable a user (id or username) and end every session of it' : 'enable a disabled user again',
    async run([reference], options, io) {
      const user = await admin(io, async (services) => services.users.setDisabled(reference!, verb === 'disable', CLI_ACTOR));
      answer(io, options, user, () => [`${verb}d user ${user.username} (id ${user.id})`]);
    },
  })),
  {
    words: ['users', 'delete'],
    args: ['USER'],
    help: 'delete a user (id or username), ending every session; the username becomes free',
    async run([reference], options, io) {
      const user = await admin(io, (services) => services.users.delete(reference!, CLI_ACTOR));
      answer(io, options, { deleted: user.id }, () => [`deleted user ${user.username} (id ${user.id})`]);
    },
  },
  {
    words: ['users', 'passwd'],
    args: ['USER'],
    help: "set a user's password from standard input; ends every session of the user",
    async run([reference], options, io) {
      const password = await passwordFromStdin(io);
      if (password === undefined) throw oauthError('invalid_request', 'the new password is read from standard input, and it was empty');
      const user = await admin(io, (services) => services.users.setPassword(reference!, password, CLI_ACTOR));
      answer(io, options, { password_set: user.id }, () => [`set the password of ${user.username} (id ${user.id}); every session of it ended`]);
    },
  },
  {
    words: ['users', 'email'],
    args: ['USER', 'ADDRESS'],
    help: "set a user's email address (unverified; `users verify-email` vouches for it)",
    async run([reference, address], options, io) {
      const user = await admin(io, (services) => services.users.setEmail(reference!, address!, false, CLI_ACTOR));
      answer(io, options, user, () => [`set the address of ${user.username} (id ${user.id}) to ${user.email}, unverified`]);
    },
  },
  {
    words: ['users', 'verify-email'],
    args: ['USER'],
    help: "mark a user's current email address verified",
    async run([reference], options, io) {
      const user = await admin(io, async (services) => {
        const current = await services.users.get(reference!);
        if (current.email === null) throw oauthError('conflict', 'the user has no email address');
        return services.users.setEmail(reference!, current.email, true, CLI_ACTOR);
      });
      answer(io, options, user, () => [`marked ${user.email} verified for ${user.username} (id ${user.id})`]);
    },
  },
  {
    words: ['users', 'clear-email'],
    args: ['USER'],
    help: "remove a user's email address (it becomes free for other accounts)",
    async run([reference], options, io) {
      const user = await admin(io, (services) => services.users.setEmail(reference!, undefined, false, CLI_ACTOR));
      answer(io, options, user, () => [`removed the address of ${user.username} (id ${user.id})`]);
    },
  },
  ...(
    [
      ['send-verification', 'verification', 'mail a user a link that verifies their address'],
      ['send-reset', 'reset', 'mail a user a password reset link'],
    ] as const
  ).map(([verb, kind, help]): Command => ({
    words: ['users', verb],
    args: ['USER'],
    help: `${help} (the serving instances send it)`,
    async run([reference], options, io) {
      await admin(io, (services) => services.users.sendLink(reference!, kind, CLI_ACTOR));
      answer(io, options, { queued: kind }, () => [`queued a ${kind} mail for ${reference}; \`users mails\` shows its state`]);
    },
  })),
  {
    words: ['users', 'mails'],
    args: ['USER'],
    help: "list a user's latest mails and their state (pending, sent, failed)",
    async run([reference], options, io) {
      const mails = await admin(io, (services) => services.users.mails(reference!));
      answer(io, options, mails, (result) =>
        result.items.length === 0
          ? ['no mails']
          : result.items.map(
              (mail) =>
                `${mail.id}  ${mail.kind}  ${mail.to}  ${mail.state}  tries ${mail.attempts}  queued ${iso(mail.created_at)}${mail.last_error === null ? '' : `  last error: ${mail.last_error}`}`,
            ),
      );
    },
  },
  {
    words: ['users', 'factors'],
    args: ['USER'],
    help: "show a user's second factors (never a secret)",
    async run([reference], options, io) {
      const factors = await admin(io, (services) => services.users.factors(reference!));
      answer(io, options, factors, (result) => [
        result.totp === null ? 'no authenticator app' : `authenticator app since ${iso(result.totp.created_at)}`,
        ...result.passkeys.map(
          (passkey) => `passkey ${JSON.stringify(passkey.name)}${passkey.synced ? ' (synced)' : ''} since ${iso(passkey.created_at)}: ${passkey.id}`,
        ),
        `${result.recovery_codes_left} recovery codes left`,
      ]);
    },
  },
  {
    words: ['users', 'reset-factors'],
    args: ['USER'],
    help: "remove a user's authenticator app, passkeys and recovery codes (the owner is told)",
    async run([reference], options, io) {
      await admin(io, (services) => services.users.resetFactors(reference!, CLI_ACTOR));
      answer(io, options, { factors_reset: reference }, () => [`removed the second factors of ${reference}`]);
    },
  },
  {
    words: ['users', 'remove-factor'],
    args: ['USER', 'FACTOR'],
    help: "remove one second factor of a user: totp, or a passkey's id (the owner is told)",
    async run([reference, factor], options, io) {
      await admin(io, (services) => services.users.removeFactor(reference!, factor!, CLI_ACTOR));
      answer(io, options, { factor_removed: factor, user: reference }, () => [`removed ${factor} from ${reference}`]);
    },
  },
  {
    words: ['users', 'identities'],
    args: ['USER'],
    help: "list a user's linked providers (upstream identities)",
    async run([reference], options, io) {
      const identities = await admin(io, (services) => services.users.identities(reference!));
      answer(io, options, identities, (result) =>
        result.length === 0
          ? ['no linked provider']
          : result.map(
              (link) => `${link.provider}${link.offered ? '' : ' (no longer offered)'}  sub ${JSON.stringify(link.subject)}  linked ${iso(link.linked_at)}`,
            ),
      );
    },
  },
  {
    words: ['users', 'unlink'],
    args: ['USER', 'PROVIDER'],
    help: 'unlink a provider from a user, even the last way in (the owner is told)',
    async run([reference, provider], options, io) {
      await admin(io, (services) => services.users.unlinkIdentity(reference!, provider!, CLI_ACTOR));
      answer(io, options, { unlinked: provider, user: reference }, () => [`unlinked ${provider} from ${reference}`]);
    },
  },
  {
    words: ['sessions', 'list'],
    args: ['USER'],
    options: ['cursor', 'limit'],
    help: "list a user's live sessions (id or username)",
    async run([reference], options, io) {
      const page = await admin(io, async (services) => services.users.sessions(reference!, pageOptions(options)));
      answer(io, options, page, (result) =>
        pageLines(
          result,
          (session) =>
            `${session.sid}  ${session.client_id}  created ${iso(session.created_at)}  last used ${iso(session.last_used_at)}  ${session.ip}  ${session.user_agent}`,
        ),
      );
    },
  },
  {
    words: ['sessions', 'end'],
    args: ['SID'],
    help: 'end one session',
    async run([sid], options, io) {
      await admin(io, (services) => services.users.endSession(sid!, CLI_ACTOR));
      answer(io, options, { ended: sid }, () => [`ended session ${sid}`]);
    },
  },
  {
    words: ['sessions', 'end-all'],
    args: ['USER'],
    help: 'end every session of a user (id or username)',
    async run([reference], options, io) {
      const result = await admin(io, async (services) => services.users.endSessions(reference!, CLI_ACTOR));
      answer(io, options, result, () => [`ended ${result.ended} session(s)`]);
    },
  },
  {
    words: ['clients', 'list'],
    args: [],
    options: ['cursor', 'limit'],
    help: 'list clients, from CLIENTS_FILE and from the store',
    async run(_args, options, io) {
      const page = await admin(io, (services) => services.clients.list(pageOptions(options)));
      answer(io, options, page, (result) =>
        pageLines(result, (client) => `${client.client_id}  ${client.type}  ${client.source}  ${client.grant_types.join(',')}  ${client.scope}`),
      );
    },
  },
  {
    words: ['clients', 'add'],
    args: [],
    help: 'add a client from a CLIENTS_FILE-style JSON entry on standard input; prints a confidential client its secret once',
    async run(_args, options, io) {
      const entry = await objectFromStdin(io);
      const created = await admin(io, (services) => services.clients.create(entry, CLI_ACTOR));
      answer(io, options, created, (result) => [`added client ${result.client.client_id}`, ...secretLines(io, result.client_secret)]);
    },
  },
  {
    words: ['clients', 'update'],
    args: ['CLIENT_ID'],
    help: 'change fields of a stored client: a JSON object of them on standard input',
    async run([clientId], options, io) {
      const changes = await objectFromStdin(io);
      const client = await admin(io, (services) => services.clients.update(clientId!, changes, CLI_ACTOR));
      answer(io, options, client, () => [`updated client ${client.client_id}`]);
    },
  },
  {
    words: ['clients', 'delete'],
    args: ['CLIENT_ID'],
    help: 'delete a stored client; its tokens and sessions are refused from now on',
    async run([clientId], options, io) {
      await admin(io, (services) => services.clients.delete(clientId!, CLI_ACTOR));
      answer(io, options, { deleted: clientId }, () => [`deleted client ${clientId}`]);
    },
  },
  {
    words: ['clients', 'secret'],
    args: ['[CLIENT_ID]'],
    options: ['grace'],
    help: "rotate a stored client's secret (--grace SECONDS keeps the old one); without CLIENT_ID, make a secret and hash for CLIENTS_FILE",
    async run([clientId], options, io) {
      if (clientId === undefined) {
        const secret = generateClientSecret();
        answer(io, options, { client_secret: secret, client_secret_hash: hashClientSecret(secret) }, (result) => [
          `client_secret:      ${result.client_secret}`,
          `client_secret_hash: ${result.client_secret_hash}`,
        ]);
        io.stderr.write('Give the secret to the client once; put only the hash in CLIENTS_FILE.\n');
        return;
      }
      const grace = Number(options.grace ?? 0);
      if (!Number.isInteger(grace) || grace < 0) throw oauthError('invalid_request', '--grace must be a whole number of seconds');
      const rotated = await admin(io, (services) => services.clients.rotateSecret(clientId, grace, CLI_ACTOR));
      answer(io, options, rotated, (result) => [`rotated the secret of ${result.client.client_id}`, ...secretLines(io, result.client_secret)]);
    },
  },
  {
    words: ['providers', 'list'],
    args: [],
    help: 'list upstream providers, from PROVIDERS_FILE and from the store (never a secret)',
    async run(_args, options, io) {
      const providers = await admin(io, (services) => services.providers.list());
      answer(io, options, providers, (result) =>
        result.length === 0
          ? ['no provider']
          : result.map((provider) => `${provider.id}  ${provider.source}  ${provider.issuer}  callback ${provider.callback_url}`),
      );
    },
  },
  {
    words: ['providers', 'add'],
    args: [],
    help: 'add a provider from a PROVIDERS_FILE-style JSON entry (with client_secret) on standard input',
    async run(_args, options, io) {
      const entry = await objectFromStdin(io);
      const created = await admin(io, (services) => services.providers.create(entry, CLI_ACTOR));
      answer(io, options, created, (result) => [`added provider ${result.id}; register ${result.callback_url} at the provider`]);
    },
  },
  {
    words: ['providers', 'update'],
    args: ['ID'],
    help: 'change fields of a stored provider: a JSON object of them on standard input',
    async run([id], options, io) {
      const changes = await objectFromStdin(io);
      const provider = await admin(io, (services) => services.providers.update(id!, changes, CLI_ACTOR));
      answer(io, options, provider, () => [`updated provider ${provider.id}`]);
    },
  },
  {
    words: ['providers', 'secret'],
    args: ['ID'],
    help: "replace a stored provider's client secret with the one on standard input",
    async run([id], options, io) {
      const secret = await passwordFromStdin(io);
      if (secret === undefined) throw oauthError('invalid_request', 'the client secret is read from standard input, and it was empty');
      const provider = await admin(io, (services) => services.providers.setSecret(id!, secret, CLI_ACTOR));
      answer(io, options, { secret_replaced: provider.id }, () => [`replaced the client secret of ${provider.id}`]);
    },
  },
  {
    words: ['providers', 'delete'],
    args: ['ID'],
    help: 'remove a stored provider; identities linked through it sign nothing in',
    async run([id], options, io) {
      await admin(io, (services) => services.providers.delete(id!, CLI_ACTOR));
      answer(io, options, { deleted: id }, () => [`deleted provider ${id}`]);
    },
  },
  {
    words: ['resources', 'list'],
    args: [],
    help: 'list protected resources, from RESOURCES_FILE and from the store',
    async run(_args, options, io) {
      const resources = await admin(io, (services) => services.resources.list());
      answer(io, options, resources, (result) =>
        result.length === 0
          ? ['no resource']
          : result.map((resource) => {
              const clients = resource.clients === '*' ? 'every client' : `clients ${resource.clients.join(',') || '-'}`;
              return `${resource.resource}  ${resource.source}  ${clients}  scopes ${resource.scopes?.join(',') ?? 'any'}`;
            }),
      );
    },
  },
  {
    words: ['resources', 'add'],
    args: [],
    help: 'register a protected resource from a RESOURCES_FILE-style JSON entry on standard input',
    async run(_args, options, io) {
      const entry = await objectFromStdin(io);
      const created = await admin(io, (services) => services.resources.create(entry, CLI_ACTOR));
      answer(io, options, created, (result) => [`registered ${result.resource}; its metadata: ${result.metadata_url}`]);
    },
  },
  {
    words: ['resources', 'update'],
    args: ['RESOURCE'],
    help: 'change fields of a stored resource: a JSON object of them on standard input (null removes one)',
    async run([identifier], options, io) {
      const changes = await objectFromStdin(io);
      const resource = await admin(io, (services) => services.resources.update(identifier!, changes, CLI_ACTOR));
      answer(io, options, resource, () => [`updated ${resource.resource}`]);
    },
  },
  {
    words: ['resources', 'delete'],
    args: ['RESOURCE'],
    help: 'remove a stored resource; no new token is issued for it',
    async run([identifier], options, io) {
      await admin(io, (services) => services.resources.delete(identifier!, CLI_ACTOR));
      answer(io, options, { deleted: identifier }, () => [`deleted ${identifier}`]);
    },
  },
  {
    words: ['openapi'],
    args: [],
    help: 'print openapi.yaml as built from the route schemas',
    async run(_args, _options, io) {
      io.stdout.write(await renderOpenApi());
    },
  },
  {
    words: ['messages'],
    args: [],
    help: "print the hosted pages' English messages as JSON: the file a translation starts from (PAGES_LOCALES_DIR)",
    async run(_args, _options, io) {
      io.stdout.write(`${JSON.stringify(english, null, 2)}\n`);
    },
  },
  {
    words: ['mail-messages'],
    args: [],
    help: "print the mails' English words as JSON: the file a translation starts from (MAIL_LOCALE_FILE)",
    async run(_args, _options, io) {
      io.stdout.write(`${JSON.stringify(ENGLISH_MAIL_WORDS, null, 2)}\n`);
    },
  },
  {
    words: ['doctor'],
    args: [],
    help: 'list what the configuration (the environment, CLIENTS_FILE) departs from in OAuth 2.1 and FAPI 2.0, with the fix of each',
    async run(_args, options, io) {
      const departures = reviewConfiguration(loadConfig(io.env));
      answer(io, options, departures, (result) =>
        result.length === 0
          ? ['nothing departs from OAuth 2.1 and FAPI 2.0']
          : [
              ...result.map(
                (departure) => `${departure.baseline === 'fapi2' ? 'FAPI 2.0 ' : 'OAuth 2.1'}  ${departure.what}\n           fix: ${departure.fix}`,
              ),
              `${result.filter((departure) => departure.baseline === 'oauth21').length} from OAuth 2.1, ${result.filter((departure) => departure.baseline === 'fapi2').length} from FAPI 2.0 only`,
            ],
      );
    },
  },
  {
    words: ['config-reference'],
    args: [],
    help: 'print docs/reference/configuration.md as rendered from the configuration schema',
    async run(_args, _options, io) {
      io.stdout.write(renderConfigurationReference());
    },
  },
];

/** A new secret's line, and the reminder (on standard error) that it is shown once. */
function secretLines(io: CliIo, secret: string | undefined): string[] {
  if (secret === undefined) return [];
  io.stderr.write('Give the secret to the client once: only its hash is stored.\n');
  return [`client_secret: ${secret}`];
}
