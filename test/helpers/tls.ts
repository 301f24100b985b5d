import { spawnSync } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import type { Teardown } from './app.js';
import { tempDir } from './app.js';
import { freePort } from './redis-server.js';

/** A certificate authority made for one test, and a certificate it issued for 127.0.0.1. */
export interface TestCertificates {
  caFile: string;
  key: Buffer;
  cert: Buffer;
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.error || run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.error?.message ?? run.stderr}`);
}

/** Makes a CA and a server certificate for 127.0.0.1 with the openssl command, in a folder removed at teardown. */
export async function testCertificates(t: Teardown): Promise<TestCertificates> {
  const dir = await tempDir(t, 'tokensmith-tls-');
  await writeFile(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tokensmith test CA'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.cnf'],
    dir,
  );
  // Apache reads the CA as www-data; the keys stay readable by root only.
  await chmod(dir, 0o755);
  await chmod(join(dir, 'ca.pem'), 0o644);
  return { caFile: join(dir, 'ca.pem'), key: await readFile(join(dir, 'server.key')), cert: await readFile(join(dir, 'server.pem')) };
}

/**
 * A TLS front for a plain-http server on loopback, as a deployment's TLS proxy is: each request is passed to `target`
 * and its answer back. Answers its https base URL; closed at teardown.
 */
export async function tlsFront(t: Teardown, certificates: TestCertificates, target: string): Promise<string> {
  const server = createServer({ key: certificates.key, cert: certificates.cert }, (request, response) => {
    fetch(`${target}${request.url ?? '/'}`, { method: request.method ?? 'GET', headers: { authorization: request.headers.authorization ?? '' } }).then(
      async (answer) => {
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
        response.end(Buffer.from(await answer.arrayBuffer()));
      },
      () => response.writeHead(502).end(),
    );
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `https://127.0.0.1:${port}`;
}
