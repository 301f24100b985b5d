/**
 * @tokensmith/verifier as a consumer gets it: `npm pack`, installed from the tarball into a scratch project that
 * has nothing else, then used to verify a token of a running service from plain ESM, from CommonJS `require`,
 * and from a TypeScript file (strict, NodeNext) that must type-check.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { registerAndLogin } from '../helpers/oauth.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

t.test('the packed verifier installs alone and verifies a token from ESM, CommonJS and strict TypeScript', { timeout: 180_000 }, async (t) => {
  const packs = await tempDir(t, 'tokensmith-pack-');
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', packs], join(root, 'packages/verifier'))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  t.ok(
    packed!.files.every((file) => ['package.json', 'README.md', 'LICENSE'].includes(file.path) || file.path.startsWith('dist/')),
    'the tarball holds dist/, package.json, the README and the license only',
  );
  t.ok(
    packed!.files.some((file) => file.path === 'dist/index.js'),
    'with the built entry point',
  );
  t.ok(
    packed!.files.some((file) => file.path === 'LICENSE'),
    'with its license (Apache-2.0)',
  );

  const scratch = await tempDir(t, 'tokensmith-consumer-');
  await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // jose comes from the npm cache the repository's own install filled.
  npm(['install', '--prefer-offline', '--no-package-lock', join(packs, packed!.filename)], scratch);
  t.same(
    (await readdir(join(scratch, 'node_modules'))).filter((name) => !name.startsWith('.')).sort(),
    ['@tokensmith', 'jose'],
    'node_modules holds jose and the verifier, nothing of the server',
  );

  const auth = await listenTestApp(t, { clients: SERVICE_CLIENTS });
  const token = (await registerAndLogin(auth.app, 'consumer')).access_token!;
  const verifyScript = (load: string) => `${load}
const verifier = createVerifier({ issuer: process.argv[2], audience: 'api' });
verifier.verify(process.argv[3]).then((verified) => console.log(JSON.stringify({ sub: verified.sub, clientId: verified.clientId })), (error) => { console.error(error); process.exit(1); });`;
  await writeFile(join(scratch, 'esm.mjs'), verifyScript("import { createVerifier } from '@tokensmith/verifier';"));
  await writeFile(join(scratch, 'cjs.cjs'), verifyScript("const { createVerifier } = require('@tokensmith/verifier');"));
  for (const script of ['esm.mjs', 'cjs.cjs']) {
    // The child reaches the service on loopback; the test awaits it without blocking the service's event loop.
    const run = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [script, auth.base, token], { cwd: scratch });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });
    t.equal(run.code, 0, `${script}: ${run.err.split('\n')[0]}`);
    t.match(JSON.parse(run.out || '{}'), { clientId: 'web' }, `${script} verified the token`);
  }

  await writeFile(
    join(scratch, 'check.ts'),
    `import { createVerifier, VerifierError, type VerifiedToken } from '@tokensmith/verifier';
const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'api', clockTolerance: 5 });
export async function subject(token: string): Promise<string> {
  try {
    const verified: VerifiedToken = await verifier.verify(token);
    return verified.sub;
  } catch (error) {
    if (error instanceof VerifierError && error.code === 'temporarily_unavailable') return 'retry later';
    throw error;
  }
}
`,
  );
  await writeFile(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        lib: ['ES2023', 'DOM'],
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ['check.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', scratch], { encoding: 'utf8' });
  t.equal(tsc.status, 0, `strict NodeNext TypeScript type-checks against the package's types: ${tsc.stdout}`);
});
