import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import Fastify from 'fastify';
import { registerOpenApi } from '../src/openapi/document.js';
import { renderOpenApi } from '../src/openapi/render.js';
import { buildTestApp, tempDir, testConfig } from './helpers/app.js';

/** Fastify's `:name` parameters and trailing `*` wildcard in OpenAPI's `{name}` form. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{wildcard}');

t.test('openapi.yaml is exactly what the route schemas generate (run `npm run openapi` after changing a route)', async (t) => {
  const committed = await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8');
  t.equal(committed, await renderOpenApi());
});

t.test('every route is in the document and every documented operation is a route, the admin API too', async (t) => {
  // Mail on, so that its pages are routes too (nothing is queued here, so nothing is ever sent).
  const mail = { ...testConfig().mail, transport: { kind: 'folder' as const, dir: await tempDir(t) } };
  const { app } = await buildTestApp(t, { config: { admin: { port: 0, host: '127.0.0.1' }, mail } });
  await app.ready();
  const catalog = [...app.routeCatalog, ...app.admin!.routeCatalog];
  t.ok(app.admin!.routeCatalog.length >= 15, 'the admin routes are there');
  const routes = catalog.flatMap((route) =>
    (Array.isArray(route.method) ? route.method : [route.method]).map((method) => `${method.toLowerCase()} ${openApiPath(route.url)}`),
  );
  const committed = await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8');
  const documented: string[] = [];
  let path = '';
  for (const line of committed.split('\n')) {
    const pathMatch = /^ {2}"?(\/[^":]*)"?:$/.exec(line);
    if (pathMatch) path = pathMatch[1]!;
    const methodMatch = /^ {4}(get|post|put|patch|delete|head|options):$/.exec(line);
    if (methodMatch) documented.push(`${methodMatch[1]} ${path}`);
  }
  t.same([...documented].sort(), [...routes].sort());
  t.ok(routes.length >= 7);
  for (const route of catalog) {
    const schema = route.schema as { summary?: string; response?: object } | undefined;
    t.ok(schema?.summary && schema.response, `${route.method} ${route.url} has a summary and response schemas`);
  }
});

t.test('openapi.yaml passes @redocly/cli lint (recommended rules): no errors, and only the warnings known here', async (t) => {
  const { app } = await buildTestApp(t);
  await app.ready();
  // The browser's form posts answer only with a redirect (303/302), never a 2xx: their JSON pointers.
  const paths = (app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }).paths;
  const redirectingForms = new Set(
    Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(
          ([, operation]) =>
            Object.keys(operation.responses).every((status) => !status.startsWith('2')) && ('302' in operation.responses || '303' in operation.responses),
        )
        .map(([method]) => `#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses`),
    ),
  );
  const bin = fileURLToPath(new URL('../node_modules/@redocly/cli/bin/cli.js', import.meta.url));
  // No telemetry and no update check: tests reach nothing beyond this machine.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  const run = spawnSync(process.execPath, [bin, 'lint', 'openapi.yaml', '--format=json'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  type Problem = { ruleId: string; severity: string; location?: Array<{ pointer?: string }> };
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { totals: { errors: number }; problems: Problem[] };
  t.equal(report.totals.errors, 0, JSON.stringify(report.problems.filter((problem) => problem.severity === 'error')));
  // Health probes, the JWKS and discovery answer no 4xx by nature; the server is the development ISSUER.
  const known = new Set(['operation-4xx-response', 'no-server-example.com']);
  t.same(
    report.problems.filter(
      (problem) => !known.has(problem.ruleId) && !(problem.ruleId === 'operation-2xx-response' && redirectingForms.has(problem.location?.[0]?.pointer ?? '')),
    ),
    [],
  );
});

t.test('every GET route answers HEAD too (the event stream aside), with the same status and no body', async (t) => {
  const { app } = await buildTestApp(t);
  await app.ready();
  const gets = app.routeCatalog.filter(
    (route) => route.method === 'GET' && !route.url.includes(':') && !route.url.endsWith('*') && route.url !== '/oauth/revocations',
  );
  t.ok(gets.length >= 6);
  for (const route of gets) {
    const [get, head] = [await app.inject({ method: 'GET', url: route.url }), await app.inject({ method: 'HEAD', url: route.url })];
    t.equal(head.statusCode, get.statusCode, `HEAD ${route.url}`);
    t.equal(head.body, '', 'no body');
  }
});

t.test('the document refuses an operation that does not say who may call it, and names each operation once', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await registerOpenApi(app, 'http://localhost:3000');
  app.get('/open', { schema: { security: [], response: { 200: { type: 'null', description: 'Nothing' } } } }, async () => null);
  app.route({ method: ['GET', 'POST'], url: '/both/*', schema: { security: [] }, handler: async () => null });
  app.get('/unsaid', { schema: { response: { 200: { type: 'null', description: 'Nothing' } } } }, async () => null);
  await app.ready();
  t.throws(() => app.swagger(), /GET \/unsaid: the route schema declares no security/);

  const { app: service } = await buildTestApp(t);
  await service.ready();
  const paths = (service.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string }>> }).paths;
  const ids = Object.values(paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
  t.equal(new Set(ids).size, ids.length, `${ids.length} operations, as many operationIds`);
  t.equal(paths['/forward-auth/{wildcard}']?.post?.operationId, 'postForwardAuthWildcard', 'one per method of a route');
});
