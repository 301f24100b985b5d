import { readFile } from 'node:fs/promises';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { buildTestApp } from '../helpers/app.js';
import { configurationVariables, documentedVariables } from '../helpers/configuration.js';
import { repoPath } from '../helpers/spawn.js';

t.test('the compose example sets only real variables, keeps Redis from evicting, runs as non-root, and scrapes the metrics port', async (t) => {
  const compose = parse(await readFile(repoPath('examples/compose/compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; user?: string; read_only?: boolean; command?: string[]; volumes?: string[] }>;
  };
  const [known, documented] = [await configurationVariables(), await documentedVariables()];
  const instances = Object.entries(compose.services).filter(([, service]) => service.environment?.REDIS_URL);
  t.equal(instances.length, 2, 'two instances');
  for (const [name, service] of instances) {
    for (const variable of Object.keys(service.environment!)) {
      t.ok(known.has(variable), `${name}: ${variable} is read by the configuration`);
      t.ok(documented.has(variable), `${name}: ${variable} is in the configuration reference`);
    }
    t.equal(service.user, '1000:1000', `${name} runs as the image's non-root user`);
    t.equal(service.read_only, true);
  }
  const recipe = await readFile(repoPath('examples/compose/compose.yaml'), 'utf8');
  t.match(recipe, /chown -R 1000:1000 examples\/compose\/keys/, 'the key recipe hands the keys to the uid the image reads them as');
  const redisFlag = (name: string) => compose.services.redis!.command![compose.services.redis!.command!.indexOf(name) + 1];
  t.equal(redisFlag('--maxmemory-policy'), 'noeviction');
  t.equal(redisFlag('--hash-max-listpack-value'), '256', 'session hashes stay compact listpacks (docs/operations/production.md)');
  t.ok(compose.services.redis!.command!.includes('--appendonly'));
  const metricsPort = instances[0]![1].environment!.METRICS_PORT;
  const prometheus = parse(await readFile(repoPath('examples/compose/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
  };
  const targets = prometheus.scrape_configs[0]!.static_configs[0]!.targets;
  t.same(
    targets,
    instances.map(([name]) => `${name}:${metricsPort}`),
    'Prometheus scrapes both instances on METRICS_PORT',
  );
  const nginx = await readFile(repoPath('examples/compose/nginx.conf'), 'utf8');
  for (const [name] of instances) t.match(nginx, new RegExp(`server ${name}:3000`), `nginx balances over ${name}`);
  t.match(nginx, /proxy_pass http:\/\/tokensmith\/forward-auth\?aud=api;/, 'and checks the API with forward-auth, for its audience');
  t.match(nginx, /include \/etc\/nginx\/snippets\/tokensmith-upstream-headers\.conf;/, 'passing the caller on in X-Auth-* headers');
  t.match(
    compose.services.nginx!.volumes,
    ['./nginx.conf:/etc/nginx/conf.d/default.conf:ro', '../nginx/tokensmith-upstream-headers.conf:/etc/nginx/snippets/tokensmith-upstream-headers.conf:ro'],
    'which the compose file mounts',
  );
  t.match(nginx, /error_page 500 = @tokensmith_unavailable;[\s\S]*return 503/, 'an auth outage is a 503');
});

/** The parts of the Kubernetes manifests the test reads. */
interface Probe {
  httpGet: { path: string; port: string };
}
interface Container {
  env: Array<{ name: string; value?: string }>;
  ports: Array<{ name: string; containerPort: number }>;
  readinessProbe: Probe;
  livenessProbe: Probe;
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  lifecycle?: { preStop?: unknown };
  resources?: { requests?: unknown; limits?: unknown };
}
interface Manifest {
  kind: string;
  spec: {
    replicas?: number;
    minAvailable?: number;
    template: {
      metadata: { annotations: Record<string, string> };
      spec: { securityContext: { runAsNonRoot?: boolean; runAsUser?: number }; containers: Container[]; volumes: unknown[] };
    };
  };
}

t.test('the Kubernetes example: real variables, the service own probe paths and ports, non-root and read-only', async (t) => {
  const documents = parseAllDocuments(await readFile(repoPath('examples/kubernetes/tokensmith.yaml'), 'utf8')).map((document) => document.toJS()) as Manifest[];
  t.same(
    documents.map((document) => document.kind),
    ['Deployment', 'Service', 'PodDisruptionBudget'],
  );
  const deployment = documents[0]!;
  t.equal(deployment.spec.replicas, 2);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const env = Object.fromEntries(container.env.map((entry) => [entry.name, entry.value]));
  const [known, documented] = [await configurationVariables(), await documentedVariables()];
  for (const variable of Object.keys(env)) {
    t.ok(known.has(variable), `${variable} is read by the configuration`);
    t.ok(documented.has(variable), `${variable} is in the configuration reference`);
  }
  const ports = Object.fromEntries(container.ports.map((port) => [port.name, port.containerPort]));
  t.equal(ports.http, Number(env.PORT), 'the http port is PORT');
  t.equal(ports.metrics, Number(env.METRICS_PORT), 'the metrics port is METRICS_PORT');
  t.equal(deployment.spec.template.metadata.annotations['prometheus.io/port'], env.METRICS_PORT);
  const { app } = await buildTestApp(t);
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    t.equal(probe.httpGet.port, 'http');
    t.equal((await app.inject({ url: probe.httpGet.path })).statusCode, 200, `${probe.httpGet.path} is a probe route of the service`);
  }
  t.equal(container.readinessProbe.httpGet.path, '/readyz');
  t.equal(container.livenessProbe.httpGet.path, '/healthz');
  t.equal(pod.securityContext.runAsNonRoot, true);
  t.equal(pod.securityContext.runAsUser, 1000, "the image's node user");
  t.equal(container.securityContext.readOnlyRootFilesystem, true);
  t.equal(container.securityContext.allowPrivilegeEscalation, false);
  t.ok(container.lifecycle?.preStop, 'a preStop delay for the load balancer');
  t.ok(container.resources?.requests && container.resources.limits, 'resources');
  t.match(pod.volumes, [{ name: 'keys', secret: { secretName: String } }], 'keys from a Secret');
  t.equal(documents[2]!.spec.minAvailable, 1);
  const dockerfile = await readFile(repoPath('Dockerfile'), 'utf8');
  t.match(dockerfile, /^USER node$/m, 'the image itself runs as node (uid 1000)');
});

t.test('the image runs the service with the V8 flags of npm start, which the benchmark also uses', async (t) => {
  const dockerfile = await readFile(repoPath('Dockerfile'), 'utf8');
  const { scripts } = JSON.parse(await readFile(repoPath('package.json'), 'utf8')) as { scripts: { start: string } };
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  t.equal(cmd.join(' '), scripts.start, 'CMD is npm start, word for word');
  t.match(scripts.start, /^node --max-semi-space-size=\d+ dist\/server\.js$/, 'a capped young generation (docs/performance.md)');
  const { SERVICE_NODE_FLAGS } = (await import(repoPath('bench/lib.mjs'))) as { SERVICE_NODE_FLAGS: string[] };
  t.same(SERVICE_NODE_FLAGS, scripts.start.split(' ').slice(1, -1));
});

/** The four identity headers forward-auth answers, which every gateway example passes on and nothing else. */
const IDENTITY_HEADERS = ['x-auth-subject', 'x-auth-client-id', 'x-auth-scope', 'x-auth-session'];

t.test('the Traefik example requires an audience and copies exactly the four identity headers', async (t) => {
  const traefik = parse(await readFile(repoPath('examples/traefik/dynamic.yml'), 'utf8')) as {
    http: { middlewares: Record<string, { forwardAuth: { address: string; authResponseHeaders: string[] } }> };
  };
  const middlewares = Object.values(traefik.http.middlewares);
  t.ok(middlewares.length > 0);
  for (const { forwardAuth } of middlewares) {
    const address = new URL(forwardAuth.address);
    t.equal(address.pathname, '/forward-auth');
    t.ok(address.searchParams.get('aud'), 'an aud rule: a token for another API is refused');
    t.same(forwardAuth.authResponseHeaders.map((header) => header.toLowerCase()).sort(), [...IDENTITY_HEADERS].sort());
  }
});

t.test('the Envoy example requires an audience, copies exactly the four identity headers, and answers an outage with 503 JSON and Retry-After', async (t) => {
  type Pattern = { exact: string; ignore_case?: boolean };
  type Mapper = {
    filter: { status_code_filter: { comparison: { op: string; value: { default_value: number } } } };
    headers_to_add: Array<{ header: { key: string; value: string } }>;
    body: { inline_string: string };
    body_format_override: { content_type: string };
  };
  type Filter = {
    name: string;
    typed_config: {
      failure_mode_allow?: boolean;
      status_on_error?: { code: string };
      http_service?: {
        path_prefix: string;
        authorization_request: { allowed_headers: { patterns: Pattern[] }; headers_to_add: Array<{ key: string; value: string }> };
        authorization_response: { allowed_upstream_headers: { patterns: Pattern[] } };
      };
    };
  };
  const envoy = parse(await readFile(repoPath('examples/envoy/envoy.yaml'), 'utf8')) as {
    static_resources: {
      listeners: Array<{
        filter_chains: Array<{ filters: Array<{ typed_config: { http_filters: Filter[]; local_reply_config: { mappers: Mapper[] } } }> }>;
      }>;
    };
  };
  const manager = envoy.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config;
  const authz = manager.http_filters.find((filter) => filter.name === 'envoy.filters.http.ext_authz')!.typed_config;
  t.equal(authz.failure_mode_allow, false, 'fails closed');
  t.same(authz.status_on_error, { code: 'ServiceUnavailable' }, 'an unreachable or failing tokensmith is 503, not Envoy’s default 403');
  const service = authz.http_service!;
  t.equal(service.path_prefix, '/forward-auth');
  const rule = Object.fromEntries(service.authorization_request.headers_to_add.map(({ key, value }) => [key.toLowerCase(), value]));
  t.ok(rule['x-required-audience'], 'an audience rule');
  const sent = service.authorization_request.allowed_headers.patterns.map((pattern) => pattern.exact);
  t.ok(
    ['authorization', 'x-required-scope', 'x-required-audience'].every((header) => sent.includes(header)),
    'the token and the rules reach tokensmith',
  );
  t.same(service.authorization_response.allowed_upstream_headers.patterns.map((pattern) => pattern.exact).sort(), [...IDENTITY_HEADERS].sort());
  const outage = manager.local_reply_config.mappers.find((mapper) => mapper.filter.status_code_filter.comparison.value.default_value === 503)!;
  t.ok(outage, 'a mapper for 503');
  t.same(
    outage.headers_to_add.map(({ header }) => [header.key, header.value]),
    [['Retry-After', '5']],
  );
  t.equal(outage.body_format_override.content_type, 'application/json');
  t.same(JSON.parse(outage.body.inline_string), { error: 'temporarily_unavailable', error_description: 'the auth service is unavailable; retry later' });
});
