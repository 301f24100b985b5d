/**
 * Boundaries that hold by structure: each test reads the import lines of src/ and fails when a module reaches
 * past the layer it belongs to. The layout table of docs/architecture.md says what lives where.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import t from 'tap';

/** Every import or re-export of a TypeScript file under src/: the module it names, and whether it is type-only. */
async function importsOf(file: string): Promise<Array<{ from: string; typeOnly: boolean }>> {
  const source = await readFile(join('src', file), 'utf8');
  return [...source.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)].map((match) => ({
    from: match[3]!,
    typeOnly: match[2] !== undefined,
  }));
}

/** A relative import resolved to a path under src/ (`store/types.js`); a package name as it is. */
function resolved(file: string, from: string): string {
  return from.startsWith('.') ? normalize(join(dirname(file), from)) : from;
}

const sources = (await readdir('src', { recursive: true })).filter((file) => file.endsWith('.ts'));
const under = (folder: string) => sources.filter((file) => file.startsWith(`${folder}/`));
/**
 * The HTTP layer, by structure: the shared `http/` folder and, inside each feature folder, its `routes/`, `pages/`
 * and `http/` (`oidc/routes/authorize.ts`, `admin/http/admin-app.ts`). Everything else in a feature folder is its
 * domain, which knows nothing of HTTP.
 */
const isHttpLayer = (path: string) => /(^|\/)(routes|pages|http)\//.test(path);
const httpLayer = sources.filter(isHttpLayer);
const routePlugins = sources.filter((file) => /(^|\/)routes\//.test(file));

t.test('routes and grants reach state through services: nothing but types from src/store/, and no store on their services', async (t) => {
  const files = [...routePlugins, ...under('grants')];
  t.ok(files.length > 10, 'the scan finds the routes and grants');
  for (const file of files) {
    const values = (await importsOf(file)).filter((entry) => !entry.typeOnly && resolved(file, entry.from).startsWith('store/'));
    t.same(
      values.map((entry) => entry.from),
      [],
      `${file} imports no store module`,
    );
    t.notMatch(await readFile(join('src', file), 'utf8'), /\bservices\.store\b/, `${file} has no services.store`);
  }
});

t.test('only src/users/ checks passwords: no other module imports the hasher, so no route can skip the throttle', async (t) => {
  const importers: string[] = [];
  for (const file of sources) if ((await importsOf(file)).some((entry) => resolved(file, entry.from) === 'users/password-hasher.js')) importers.push(file);
  t.ok(importers.length > 0, 'the scan finds the importers');
  t.same(
    importers.filter((file) => !file.startsWith('users/')),
    [],
    `importers: ${importers.join(', ')}`,
  );
});

t.test('the verifier package imports jose, node:* and its own files only (Fastify types in its plugin alone)', async (t) => {
  const dir = 'packages/verifier/src';
  const files = (await readdir(dir, { recursive: true })).filter((file) => file.endsWith('.ts'));
  t.ok(files.length >= 8, 'the scan finds the package');
  for (const file of files) {
    const source = await readFile(join(dir, file), 'utf8');
    const imports = [...source.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)].map((match) => ({
      from: match[3]!,
      typeOnly: match[2] !== undefined,
    }));
    const foreign = imports.filter(({ from, typeOnly }) => {
      if (from === 'jose' || from.startsWith('node:')) return false;
      if (from.startsWith('./') || from.startsWith('../')) return !normalize(join(dir, dirname(file), from)).startsWith(dir);
      return !(from === 'fastify' && typeOnly && file === 'fastify.ts');
    });
    t.same(
      foreign.map(({ from }) => from),
      [],
      file,
    );
  }
});

t.test('the server reaches the verifier package by its name, never by a path into it', async (t) => {
  for (const file of sources) {
    t.notMatch(await readFile(join('src', file), 'utf8'), /from '[./]*packages\//, file);
  }
});

t.test('the CLI and the admin API do the same things one way: both reach state only through src/admin/', async (t) => {
  const callers = ['cli/commands.ts', ...under('admin/routes')];
  t.ok(callers.length >= 4, 'the scan finds the commands and the admin routes');
  for (const file of callers) {
    const reached = (await importsOf(file))
      .filter((entry) => !entry.typeOnly)
      .map((entry) => resolved(file, entry.from))
      .filter((path) =>
        /^(store\/|users\/user-service|accounts\/account-service|sessions\/session-service|oidc\/[\w-]+-service|clients\/(registry|client-sync)|keys\/(rotation|keyring))/.test(
          path,
        ),
      );
    t.same(reached, [], `${file} changes nothing but through the admin services`);
  }
});

/** The cycles of a graph, one path per cycle found (depth-first; each edge followed once). */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

t.test('no import cycles in src/, type-only imports included: every module can be read before the ones that use it', async (t) => {
  const graph = new Map<string, string[]>();
  for (const file of sources) {
    const imports = (await importsOf(file)).filter((entry) => entry.from.startsWith('.')).map((entry) => resolved(file, entry.from).replace(/\.js$/, '.ts'));
    graph.set(file, imports);
  }
  t.ok(graph.size > 100, `${graph.size} modules read`);
  t.same(
    cyclesOf(graph).map((cycle) => cycle.join(' → ')),
    [],
    'no module imports, through others, itself',
  );
  t.same(
    cyclesOf(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a']],
      ]),
    ),
    [['a', 'b', 'c', 'a']],
    'the check finds a cycle where there is one',
  );
});

t.test('one composition root: route plugins take a narrow type of what they use, and no service is replaced after it is built', async (t) => {
  const plugins = httpLayer;
  t.ok(plugins.length > 30, 'the scan finds the route plugins and HTTP helpers of every feature');
  for (const file of plugins) {
    t.notMatch(await readFile(join('src', file), 'utf8'), /:\s*Services\b(?![\w[])/, `${file} takes no whole Services`);
  }
  for (const file of sources) {
    t.notMatch(await readFile(join('src', file), 'utf8'), /\bservices\.\w+\s*=[^=]/, `${file} assigns no member of the services`);
  }
  const wiring = (
    await Promise.all(sources.map(async (file) => ((await readFile(join('src', file), 'utf8')).includes('new SessionService(') ? file : undefined)))
  ).filter(Boolean);
  t.same(wiring, ['services.ts'], 'the services are wired in services.ts alone (the app and the CLI call it)');
});

t.test('use cases in services: routes, HTTP helpers and pages write no audit event (the services they call do)', async (t) => {
  // The apps (app.ts, admin/http/admin-app.ts) wire the rate limiter, whose refusal is the one event HTTP itself decides.
  const adapters = httpLayer.filter((file) => !file.endsWith('admin-app.ts'));
  t.ok(adapters.length > 20, 'the scan finds the routes, HTTP helpers and pages');
  for (const file of adapters) {
    const source = await readFile(join('src', file), 'utf8');
    t.notMatch(source, /\.audit\b|\bauditAdmin\(/, `${file} writes no audit event`);
  }
});

t.test('performance code inside its owners: only the HTTP layer reaches the fast lane; routes declare their lane answers', async (t) => {
  for (const file of sources) {
    const reachesLane = (await importsOf(file)).some((entry) => resolved(file, entry.from) === 'http/fast-lane.js');
    if (reachesLane) t.ok(file.startsWith('http/') || file === 'app.ts', `${file} may reach the lane (the shared HTTP layer)`);
  }
  for (const file of routePlugins) {
    t.notMatch(await readFile(join('src', file), 'utf8'), /\bfastLane\b/, `${file} declares its lane answers in its route configuration`);
  }
});

t.test('domain folders import nothing from the HTTP layer: no route, HTTP helper or Fastify type', async (t) => {
  const domain = ['accounts', 'admin', 'audit', 'oidc', 'clients', 'grants', 'keys', 'revocation', 'sessions', 'store', 'tokens', 'users'];
  const files = domain.flatMap(under).filter((file) => !isHttpLayer(file));
  t.ok(files.length > 60, `${files.length} domain modules`);
  for (const file of files) {
    const reached = (await importsOf(file))
      .map((entry) => resolved(file, entry.from))
      .filter((path) => isHttpLayer(path) || /^fastify$|^@fastify\//.test(path));
    t.same(reached, [], `${file} imports no HTTP module`);
  }
});

t.test('one token acceptance: only tokens/token-acceptance.ts asks whether an access token is revoked', async (t) => {
  const askers: string[] = [];
  for (const file of sources) {
    if (/\.isRevoked(AsHeld)?\(/.test(await readFile(join('src', file), 'utf8'))) askers.push(file);
  }
  t.same(
    askers.filter((file) => !file.startsWith('store/') && file !== 'revocation/revocation-service.ts'),
    ['tokens/token-acceptance.ts'],
    'forward-auth (route and lane), introspection, the account API and the admin API all judge through TokenAcceptance',
  );
});

t.test('the shared HTTP layer serves every feature and belongs to none: src/http/ imports no route, page or helper of a feature', async (t) => {
  for (const file of under('http')) {
    const reached = (await importsOf(file)).map((entry) => resolved(file, entry.from)).filter((path) => isHttpLayer(path) && !path.startsWith('http/'));
    t.same(reached, [], `${file} imports no feature's HTTP module`);
  }
});

t.test('the server and the verifier library check an access token the same way: its type, algorithms and claims live in the shared module alone', async (t) => {
  const verifierDir = 'packages/verifier/src';
  const verifierFiles = (await readdir(verifierDir, { recursive: true })).filter((file) => file.endsWith('.ts') && !file.startsWith('shared/'));
  const files = [...sources.map((file) => join('src', file)), ...verifierFiles.map((file) => join(verifierDir, file))];
  const checkers: string[] = [];
  for (const file of files) {
    const source = await readFile(file, 'utf8');
    if (/'at\+jwt'|\[\s*'iss',\s*'sub',\s*'aud'/.test(source)) checkers.push(file);
  }
  t.same(checkers, [], 'no verification spells out the access token checks; both call accessTokenVerifyOptions and hasAccessTokenClaimTypes');
  for (const file of ['src/tokens/verify.ts', join(verifierDir, 'index.ts')]) {
    const source = await readFile(file, 'utf8');
    t.match(source, /accessTokenVerifyOptions\(/, `${file} verifies with the shared options`);
    t.match(source, /hasAccessTokenClaimTypes\(/, `${file} checks the claims' types with the shared check`);
  }
});

t.test('one finish for every response: only http/response-finish.ts writes the request log line or records request metrics', async (t) => {
  const finishers: string[] = [];
  for (const file of sources) {
    if (/addHook\('onResponse'|\.observeRequest\(|\.info\([^;]*'request'\)/.test(await readFile(join('src', file), 'utf8'))) finishers.push(file);
  }
  t.same(finishers, ['http/response-finish.ts'], 'Fastify (the app and the admin API) and the fast lane finish through ResponseFinish');
});

t.test("a deleted client's tokens are dead by one rule: no HTTP module applies ClientRegistry.issuedToCurrent itself", async (t) => {
  for (const file of httpLayer) {
    t.notMatch(await readFile(join('src', file), 'utf8'), /issuedToCurrent/, `${file} asks the services (TokenAcceptance, sessions, consents)`);
  }
});
