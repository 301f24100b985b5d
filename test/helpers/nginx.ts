import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envsubst, repoPath, runServer } from './spawn.js';
import { eventually } from './listen.js';
import type { Teardown } from './app.js';
import { tempDir } from './app.js';

/** Where nginx forwards. */
export interface NginxUpstreams {
  listen: number;
  auth: string;
  api: string;
}

/** The variable list the template's header says to give envsubst. */
export const NGINX_TEMPLATE_VARIABLES = '${LISTEN} ${AUTH_UPSTREAM} ${API_UPSTREAM}';

/** Renders examples/nginx/tokensmith.conf.template as its header says: envsubst with its three variables named. */
export function renderNginxTemplate(template: string, upstreams: NginxUpstreams, variables = NGINX_TEMPLATE_VARIABLES): string {
  return envsubst(template, variables, { LISTEN: `127.0.0.1:${upstreams.listen}`, AUTH_UPSTREAM: upstreams.auth, API_UPSTREAM: upstreams.api });
}

/**
 * Starts Debian's nginx in the foreground with the repository's example configuration (examples/nginx), rendered
 * with envsubst for loopback ports, in a private prefix. Fails loudly without nginx or envsubst.
 */
export async function startNginx(t: Teardown, upstreams: NginxUpstreams): Promise<string> {
  const snippet = repoPath('examples/nginx/tokensmith-upstream-headers.conf');
  const template = await readFile(repoPath('examples/nginx/tokensmith.conf.template'), 'utf8');
  const server = renderNginxTemplate(template, upstreams).replaceAll('/etc/nginx/snippets/tokensmith-upstream-headers.conf', snippet);
  return runNginx(t, server, upstreams.listen);
}

/** Runs Debian's nginx in the foreground with the given http-level configuration (upstream and server blocks). */
export async function runNginx(t: Teardown, httpConfig: string, listen: number): Promise<string> {
  const binary = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
  if (spawnSync(binary, ['-v']).error) throw new Error(`nginx not found at ${binary}: install Debian's nginx package (.ci/run does) or set NGINX_PATH`);
  const dir = await tempDir(t, 'tokensmith-nginx-');
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, sub));
  await writeFile(join(dir, 'server.conf'), httpConfig);
  await writeFile(
    join(dir, 'nginx.conf'),
    `error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/server.conf;
}
`,
  );
  const stderr = runServer(
    t,
    binary,
    ['-p', dir, '-e', `${dir}/error.log`, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off; master_process off;'],
    process.env,
    'SIGQUIT',
  );
  const base = `http://127.0.0.1:${listen}`;
  const up = await eventually(
    async () => {
      try {
        await fetch(`${base}/`);
        return true;
      } catch {
        return false;
      }
    },
    5000,
    50,
  );
  if (!up) throw new Error(`nginx did not start: ${stderr()}`);
  return base;
}
