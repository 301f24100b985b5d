/**
 * An MCP server, built with the MCP TypeScript SDK, protected by the verifier library's Fastify plugin; the SDK's own
 * client, given only the server's URL, finds the metadata from the 401 (RFC 9728), this service from it (RFC 8414),
 * runs the code flow with PKCE and `resource` (RFC 8707), and calls a tool. Every hop is a real socket but the person's
 * clicks (sign-in, Allow), which the test makes on the service's pages.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { createVerifier } from '@tokensmith/verifier';
import { fastifyResourceMetadata, fastifyVerifier } from '@tokensmith/verifier/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import t from 'tap';
import { parseResources } from '../../src/resources/protected-resource.js';
import { form } from '../helpers/app.js';
import { SECRETS, SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually, listenTestApp } from '../helpers/listen.js';
import { documentHost } from '../helpers/metadata-documents.js';
import { freePort } from '../helpers/redis-server.js';
import { allowConsent, CookieJar, register, signIn, visit } from '../helpers/sign-in.js';

const AGENT_REDIRECT = 'http://127.0.0.1:53682/callback';

/** The MCP server: one tool, `whoami`, answering for the verified caller; stateless Streamable HTTP behind the verifier. */
async function mcpServer(resource: string, issuer: string): Promise<FastifyInstance> {
  const verifier = createVerifier({ issuer, audience: resource, revocations: { clientId: 'gateway', clientSecret: SECRETS.gateway } });
  const app = Fastify();
  app.addHook('onClose', async () => verifier.close());
  await app.register(fastifyResourceMetadata, { resource, authorizationServers: [issuer], scopes: ['mcp:tools'], name: 'Test MCP' });
  await app.register(async (scope) => {
    await scope.register(fastifyVerifier, { verifier, realm: 'mcp', resource });
    scope.post('/mcp', async (request, reply) => {
      const server = new McpServer({ name: 'test-mcp', version: '1.0.0' });
      server.registerTool('whoami', { description: 'Who the token speaks for' }, async () => ({
        content: [{ type: 'text', text: `${request.auth!.sub} via ${request.auth!.clientId}` }],
      }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      reply.hijack();
      reply.raw.on('close', () => void transport.close().then(() => server.close()));
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    });
    // Stateless: no stream to resume and no session to end (the SDK's client takes 405 as "none offered").
    for (const method of ['GET', 'DELETE'] as const) scope.route({ method, url: '/mcp', handler: async (_request, reply) => reply.code(405).send() });
  });
  return app;
}

/** The SDK client's storage, in memory; redirectToAuthorization records where the person would be sent. */
class TestProvider implements OAuthClientProvider {
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizations: URL[] = [];
  /** A pre-registered client's information; undefined: the SDK registers one itself (RFC 7591) and saves it here. */
  constructor(
    private info: OAuthClientInformationMixed | undefined,
    /** The URL of the client's metadata document, for a service that reads them. */
    readonly clientMetadataUrl?: string,
  ) {}
  get redirectUrl() {
    return AGENT_REDIRECT;
  }
  get clientMetadata() {
    return {
      redirect_uris: [AGENT_REDIRECT],
      client_name: 'Test agent',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizations.push(url);
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

for (const registration of ['pre-registered', 'dynamic', 'metadata-document'] as const) {
  t.test(
    `the MCP SDK client discovers, authorizes with a resource indicator and calls a tool; a revoked session is refused (${registration} client)`,
    async (t) => {
      const mcpPort = await freePort();
      const resource = `http://127.0.0.1:${mcpPort}/mcp`;
      const clients = [
        ...SERVICE_CLIENTS,
        { client_id: 'mcp-agent', type: 'public', grant_types: ['authorization_code', 'refresh_token'], scope: 'mcp:tools', redirect_uris: [AGENT_REDIRECT] },
      ];
      // The metadata document's host: https on loopback, trusted through the test CA (development allowance on).
      const host = registration === 'metadata-document' ? await documentHost(t) : undefined;
      const documentUrl = host && `${host.base}/agent/client.json`;
      host?.serve('/agent/client.json', {
        client_id: documentUrl,
        client_name: 'Test agent',
        redirect_uris: [AGENT_REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
      });
      const auth = await listenTestApp(t, {
        clients,
        config: {
          resources: parseResources([{ resource, name: 'Test MCP', scopes: ['mcp:tools'], clients: '*' }]),
          clientRegistration: { policy: registration === 'dynamic' ? 'open' : 'closed', maxClients: 10, idleTtl: 7_776_000 },
          clientMetadataDocuments: { enabled: host !== undefined, allowLoopback: true, ca: host?.ca },
        },
      });
      const api = await mcpServer(resource, auth.base);
      await api.listen({ port: mcpPort, host: '127.0.0.1' });
      t.teardown(() => api.close());
      await register(auth.app, 'ada');

      const provider = new TestProvider(registration === 'pre-registered' ? { client_id: 'mcp-agent' } : undefined, documentUrl);
      const connect = async () => {
        const client = new Client({ name: 'test-agent', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
        return client;
      };
      await t.rejects(connect(), { message: 'Unauthorized' }, 'no token yet: the SDK sends the person to sign in');
      const url = provider.authorizations[0]!;
      const clientId = provider.clientInformation()!.client_id;
      if (registration === 'dynamic') t.not(clientId, 'mcp-agent', 'registered at the registration_endpoint of the metadata (RFC 7591)');
      if (documentUrl !== undefined) t.equal(clientId, documentUrl, 'its client_id is its metadata document’s URL');
      t.equal(url.searchParams.get('client_id'), clientId);
      t.equal(url.origin, auth.base, 'found through the 401’s resource_metadata and the metadata’s authorization_servers');
      t.equal(url.searchParams.get('resource'), resource, 'RFC 8707 resource from the metadata');
      t.equal(url.searchParams.get('scope'), 'mcp:tools', 'scopes_supported from the metadata');
      t.equal(url.searchParams.get('code_challenge_method'), 'S256');

      // The person: signs in at the service's pages and allows the agent (a third-party client: consent is asked).
      const jar = new CookieJar();
      const request = `${url.pathname}${url.search}`;
      const toLogin = await visit(auth.app, jar, request);
      await signIn(auth.app, jar, toLogin.headers.location as string, 'ada');
      const consent = await visit(auth.app, jar, request);
      t.match(consent.body, /at <strong>Test MCP<\/strong>/, 'the consent page names the resource');
      const back = new URL(String((await allowConsent(auth.app, jar, consent.body, request)).headers.location));
      t.equal(`${back.origin}${back.pathname}`, AGENT_REDIRECT);

      const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider });
      await transport.finishAuth(back.searchParams.get('code')!);
      t.equal(decodeJwt(provider.saved!.access_token).aud, resource, 'the token is meant for the MCP server alone');
      const client = await connect();
      const { tools } = await client.listTools();
      t.same(
        tools.map((tool) => tool.name),
        ['whoami'],
      );
      const answer = await client.callTool({ name: 'whoami' });
      t.equal((answer.content as Array<{ text: string }>)[0]!.text, `${decodeJwt(provider.saved!.access_token).sub} via ${clientId}`);

      // The person ends the agent's session (its refresh token revoked, RFC 7009): the next call is refused.
      const revoke = form({ token: provider.saved!.refresh_token!, token_type_hint: 'refresh_token', client_id: clientId });
      t.equal((await auth.app.inject({ method: 'POST', url: '/oauth/revoke', payload: revoke.payload, headers: revoke.headers })).statusCode, 200);
      const oldToken = provider.saved!.access_token;
      const call = () => fetch(resource, { method: 'POST', headers: { authorization: `Bearer ${oldToken}`, 'content-type': 'application/json' }, body: '{}' });
      t.ok(await eventually(async () => (await call()).status === 401), 'the verifier hears of it through the revocation feed');
      await t.rejects(
        client.callTool({ name: 'whoami' }),
        { name: 'InvalidGrantError', message: /refresh token is invalid, expired or revoked/ },
        'the SDK client is refused too: its 401 leads to a refresh, which is refused (invalid_grant)',
      );
      // The MCP server first: its revocation feed is a stream the service would otherwise wait on as it closes.
      await client.close();
      await api.close();
    },
  );
}
