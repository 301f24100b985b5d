import { readFile } from 'node:fs/promises';
import t from 'tap';
import { openApiDocument, openApiPath } from '../src/openapi/document.js';
import { errorSchema } from '../src/routes/schemas.js';
import { DOCUMENT_INFO, renderOpenApi } from '../src/openapi/render.js';
import { toYaml } from '../src/openapi/yaml.js';
import { buildTestApp } from './helpers/app.js';

t.test('openapi.yaml is exactly what the route schemas generate (run `npm run openapi` after changing a route)', async (t) => {
  const committed = await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8');
  t.equal(committed, await renderOpenApi());
});

t.test('every route is in the document and every documented operation is a route', async (t) => {
  const { app } = await buildTestApp(t);
  await app.ready();
  const routes = app.routeCatalog.flatMap((route) => (Array.isArray(route.method) ? route.method : [route.method]).map((method) => `${method.toLowerCase()} ${openApiPath(route.url)}`));
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
  for (const route of app.routeCatalog) {
    const schema = route.schema as { summary?: string; response?: object } | undefined;
    t.ok(schema?.summary && schema.response, `${route.method} ${route.url} has a summary and response schemas`);
  }
});

t.test('the YAML writer quotes what YAML would misread', async (t) => {
  t.equal(toYaml({ a: 'true', b: '3.0', c: 'x: y', d: 'plain text', e: [], f: { g: [1, 'n'] } }), 'a: "true"\nb: "3.0"\nc: "x: y"\nd: plain text\ne: []\nf:\n  g:\n    - 1\n    - n\n');
  t.ok(openApiDocument([], DOCUMENT_INFO, errorSchema));
});
