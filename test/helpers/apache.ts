import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Teardown } from './app.js';
import { tempDir } from './app.js';
import { answersOk } from './listen.js';
import { envsubst, repoPath, runServer } from './spawn.js';

const MODULES = '/usr/lib/apache2/modules';

/** A running Apache httpd: its base URL, and the users its access log saw (REMOTE_USER) on /private. */
export interface ApacheSite {
  base: string;
  remoteUsers(): Promise<string[]>;
}

/**
 * Starts Debian's Apache httpd in the foreground with mod_auth_openidc and the repository's example
 * (examples/apache-oidc), rendered for loopback ports, in a private directory. Fails loudly without Apache.
 */
export async function startApacheRelyingParty(t: Teardown, site: { port: number; issuer: string; clientSecret: string }): Promise<ApacheSite> {
  const dir = await tempDir(t, 'tokensmith-apache-');
  // Apache drops to www-data: it must reach its files.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'www/private'), { recursive: true });
  await writeFile(join(dir, 'www/private/index.html'), 'private page\n');
  await writeFile(join(dir, 'www/index.html'), 'public page\n');
  const base = `http://127.0.0.1:${site.port}`;
  const example = (await readFile(repoPath('examples/apache-oidc/tokensmith-oidc.conf.template'), 'utf8'))
    .replaceAll('${LISTEN}', `127.0.0.1:${site.port}`)
    .replaceAll('${ISSUER}', site.issuer)
    .replaceAll('${SITE}', base)
    .replaceAll('${CLIENT_SECRET}', site.clientSecret)
    .replaceAll('${CRYPTO_PASSPHRASE}', randomBytes(24).toString('base64url'));
  await runApache(t, dir, example, `${base}/`, ['dir']);
  return {
    base,
    remoteUsers: async () =>
      (await readFile(join(dir, 'access.log'), 'utf8'))
        .split('\n')
        .filter((line) => line.endsWith(' 200 /private/index.html') || line.endsWith(' 200 /private/'))
        .map((line) => line.split(' ')[0]!),
  };
}

/**
 * Runs Debian's Apache httpd in the foreground from `dir` with mod_auth_openidc and the given modules, the site
 * configuration `site` included; resolves once `probe` answers 2xx. Fails loudly without Apache.
 */
async function runApache(t: Teardown, dir: string, site: string, probe: string, modules: string[]): Promise<void> {
  const binary = process.env.APACHE_PATH ?? '/usr/sbin/apache2';
  if (spawnSync(binary, ['-v']).error)
    throw new Error(`Apache not found at ${binary}: install Debian's apache2 and libapache2-mod-auth-openidc (.ci/run does) or set APACHE_PATH`);
  await writeFile(join(dir, 'site.conf'), site);
  const loads = modules.map((module) => `LoadModule ${module}_module ${MODULES}/mod_${module}.so`).join('\n');
  await writeFile(
    join(dir, 'httpd.conf'),
    `ServerRoot ${dir}
ServerName 127.0.0.1
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
LogLevel warn
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authn_core_module ${MODULES}/mod_authn_core.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule authz_user_module ${MODULES}/mod_authz_user.so
LoadModule auth_openidc_module ${MODULES}/mod_auth_openidc.so
${loads}
User www-data
Group www-data
DocumentRoot ${dir}/www
DirectoryIndex index.html
LogFormat "%u %>s %U" who
CustomLog ${dir}/access.log who
Include ${dir}/site.conf
`,
  );
  const stderr = runServer(t, binary, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { ...process.env, APACHE_RUN_DIR: dir });
  const up = await answersOk(probe, 10_000, 50);
  if (!up) throw new Error(`Apache did not start: ${stderr()} ${await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')}`);
}

/**
 * Starts Apache httpd as an OAuth 2.0 resource server with the repository's example
 * (examples/apache/tokensmith-resource-server.conf.template), rendered by envsubst as its header says, in front of `api`.
 */
export async function startApacheResourceServer(t: Teardown, site: { port: number; issuer: string; api: string; caBundle: string }): Promise<string> {
  const dir = await tempDir(t, 'tokensmith-apache-rs-');
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'www'), { recursive: true });
  await writeFile(join(dir, 'www/index.html'), 'public page\n');
  const template = await readFile(repoPath('examples/apache/tokensmith-resource-server.conf.template'), 'utf8');
  const values = { LISTEN: `127.0.0.1:${site.port}`, ISSUER: site.issuer, API_UPSTREAM: site.api };
  const base = `http://127.0.0.1:${site.port}`;
  // The test's issuer has a certificate of a CA made for the test; a deployment's is publicly trusted and needs no bundle.
  const conf = `${envsubst(template, '${LISTEN} ${ISSUER} ${API_UPSTREAM}', values)}\nOIDCCABundlePath ${site.caBundle}\n`;
  await runApache(t, dir, conf, `${base}/`, ['dir', 'headers', 'proxy', 'proxy_http']);
  return base;
}
