import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Teardown } from './app.js';
import { tempDir } from './app.js';
import { answersOk } from './listen.js';
import { repoPath, runServer } from './spawn.js';

/** Where Caddy listens and forwards (host:port each). */
export interface CaddyUpstreams {
  listen: number;
  auth: string;
  api: string;
}

/**
 * Runs Debian's Caddy (`caddy`, or CADDY_PATH) with the repository's example Caddyfile (examples/caddy), its variables
 * from the environment as its header says, and its state in a private folder. Fails loudly without Caddy.
 */
export async function startCaddy(t: Teardown, upstreams: CaddyUpstreams): Promise<string> {
  const binary = process.env.CADDY_PATH ?? '/usr/bin/caddy';
  if (spawnSync(binary, ['version']).error) throw new Error(`Caddy not found at ${binary}: install Debian's caddy package (.ci/run does) or set CADDY_PATH`);
  const dir = await tempDir(t, 'tokensmith-caddy-');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    LISTEN: `http://127.0.0.1:${upstreams.listen}`,
    BIND: '127.0.0.1',
    AUTH_UPSTREAM: upstreams.auth,
    API_UPSTREAM: upstreams.api,
  };
  const stderr = runServer(t, binary, ['run', '--config', repoPath('examples/caddy/Caddyfile'), '--adapter', 'caddyfile'], env);
  const base = `http://127.0.0.1:${upstreams.listen}`;
  // A path no route of the example handles: Caddy itself answers it, 200 with an empty body, once it serves.
  const up = await answersOk(`${base}/`, 10_000, 50);
  if (!up) throw new Error(`Caddy did not start: ${stderr().slice(-2000)}`);
  return base;
}
