import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CLIENT_ENTRY } from '../clients/client.js';
import { generateClientSecret, hashClientSecret } from '../clients/secret.js';
import { ConfigError } from '../errors.js';
import { exitOnUnsupportedNode } from '../node-version.js';
import { exitOnStartFailure, startServer } from '../server.js';
import { startDemoRelyingParty } from './demo-relying-party.js';

/** The settings `npm run dev` starts from; the environment may change any of them but the store. */
const DEV_DEFAULTS = { HOST: '127.0.0.1', PORT: '3000', ADMIN_PORT: '9000', COOKIE_SECURE: 'false', LOG_LEVEL: 'warn', ISSUER: '' };

/** The Redis settings dev leaves out: it always runs on the embedded store. */
const REDIS_SETTINGS = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD'];

/** `--demo-port N` (default: the service's port + 1). */
function demoPort(argv: string[], servicePort: number): number {
  const at = argv.indexOf('--demo-port');
  const port = at < 0 ? servicePort + 1 : Number(argv[at + 1]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new ConfigError('--demo-port', `expected a port number, got "${argv[at + 1]}"`);
  return port;
}

/**
 * `npm run dev`: the service on the embedded store with a demo set-up, and a demo application to sign in to, in one
 * command. It registers three clients (`web`, the quick start's; `demo`, a first-party authorization-code client
 * for the demo page; `ops`, an admin client whose secret it prints once), starts the service with the admin API,
 * creates the user `demo` through the admin API (as an operator would) and prints the link that starts a real browser
 * sign-in. Everything is forgotten when it stops. Refused in production.
 */
export async function startDev(argv: string[], environment: NodeJS.ProcessEnv): Promise<{ close(): Promise<void>; lines: string[] }> {
  const env: Record<string, string | undefined> = { ...DEV_DEFAULTS, ...environment, STORE: 'memory' };
  for (const name of REDIS_SETTINGS) delete env[name];
  if (env.NODE_ENV === 'production') throw new ConfigError('NODE_ENV', 'npm run dev is for a development machine, never production');
  const servicePort = Number(env.PORT);
  const demo = demoPort(argv, servicePort);
  env.ISSUER ||= `http://localhost:${servicePort}`;

  const opsSecret = generateClientSecret();
  const clients = [
    DEFAULT_CLIENT_ENTRY,
    {
      client_id: 'demo',
      type: 'public',
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid profile',
      redirect_uris: [`http://127.0.0.1:${demo}/callback`],
      post_logout_redirect_uris: [`http://127.0.0.1:${demo}/`],
      first_party: true,
      description: 'The demo application of npm run dev',
    },
    { client_id: 'ops', type: 'confidential', client_secret_hash: hashClientSecret(opsSecret), grant_types: ['client_credentials'], scope: 'admin' },
  ];
  // Only the secret's hash is written, to a private folder removed when dev stops.
  const folder = await mkdtemp(join(tmpdir(), 'tokensmith-dev-'));
  env.CLIENTS_FILE = join(folder, 'clients.json');
  await writeFile(env.CLIENTS_FILE, JSON.stringify(clients), { mode: 0o600 });

  const app = await startServer(env);
  const issuer = env.ISSUER;
  const adminUrl = `http://${env.ADMIN_HOST ?? '127.0.0.1'}:${(app.admin!.server.address() as { port: number }).port}`;
  const token = (await (
    await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`ops:${opsSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
  ).json()) as { access_token: string };
  const demoPassword = randomBytes(9).toString('base64url');
  const created = await fetch(`${adminUrl}/admin/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'demo', password: demoPassword }),
  });
  if (created.status !== 201) throw new Error(`the admin API did not create the demo user (${created.status})`);
  const relyingParty = await startDemoRelyingParty({ issuer, clientId: 'demo', port: demo, host: env.HOST ?? '127.0.0.1' });

  const lines = [
    `tokensmith dev: the service at ${issuer}, its admin API at ${adminUrl}, on the embedded store (forgotten when this stops)`,
    '',
    `  Try the browser sign-in:  open ${relyingParty.url} and sign in as demo / ${demoPassword}`,
    `  Admin client:             ops / ${opsSecret}   (shown once)`,
    `  Admin token:              curl -s ${issuer}/oauth/token -u "ops:${opsSecret}" -d grant_type=client_credentials`,
    `  Quick start client:       web (the password grant; README.md)`,
    '',
    'Ctrl-C stops it.',
  ];
  return {
    lines,
    close: async () => {
      await relyingParty.close();
      await app.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  exitOnUnsupportedNode('start-up failed: ');
  try {
    const dev = await startDev(process.argv.slice(2), process.env);
    process.stdout.write(`${dev.lines.join('\n')}\n`);
    const stop = () => void dev.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    exitOnStartFailure(error);
  }
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
