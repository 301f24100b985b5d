import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import t from 'tap';
import { hashClientSecret } from '../../src/clients/secret.js';
import { ClientRegistry } from '../../src/clients/registry.js';
import { TOKEN_EXCHANGE } from '../../src/grants/grant-type.js';
import { parseResources } from '../../src/resources/protected-resource.js';
import { SECRETS } from '../helpers/clients.js';
import { basicAuth } from '../helpers/clients.js';
import { listenTestApp } from '../helpers/listen.js';
import { introspection, tokenRequest } from '../helpers/oauth.js';

const ORDERS = 'https://orders.example/api';
const BILLING = 'https://billing.example/api';
const INVOICES = 'https://invoices.example/api';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const BILLING_SECRET = 'billing-svc-secret-0123456789abcdefghijklm';

const CLIENTS = [
  { client_id: 'app', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'orders:read billing:read', first_party: true },
  {
    client_id: 'orders-svc',
    type: 'confidential',
    client_secret_hash: hashClientSecret(SECRETS.orders),
    grant_types: [TOKEN_EXCHANGE],
    scope: 'orders:read billing:read',
  },
  {
    client_id: 'billing-svc',
    type: 'confidential',
    client_secret_hash: hashClientSecret(BILLING_SECRET),
    grant_types: [TOKEN_EXCHANGE],
    scope: 'billing:read',
  },
  {
    client_id: 'gateway',
    type: 'confidential',
    client_secret_hash: hashClientSecret(SECRETS.gateway),
    grant_types: ['client_credentials'],
    scope: 'introspect',
  },
];
const RESOURCES = parseResources([
  // The orders API calls billing for the person: its tokens carry billing:read too, which it may pass on narrowed.
  { resource: ORDERS, scopes: ['orders:read', 'billing:read'], clients: ['app'], exchanged_by: ['orders-svc'] },
  { resource: BILLING, scopes: ['billing:read'], clients: ['orders-svc'], exchanged_by: ['billing-svc'] },
  { resource: INVOICES, scopes: ['billing:read'], clients: ['billing-svc'] },
]);

t.test('token exchange (RFC 8693) with openid-client: a service calls onward for the person, act names it', async (t) => {
  const auth = await listenTestApp(t, { clients: CLIENTS, config: { resources: RESOURCES } });
  await auth.app.inject({ method: 'POST', url: '/account/register', payload: { username: 'ada', password: 'long enough' } });
  const login = await tokenRequest(auth.app, { grant_type: 'password', client_id: 'app', username: 'ada', password: 'long enough', resource: ORDERS });
  const userToken = login.body.access_token!;
  const user = decodeJwt(userToken);
  t.equal(user.aud, ORDERS);

  const insecure = { execute: [oidc.allowInsecureRequests] };
  const orders = await oidc.discovery(new URL(auth.base), 'orders-svc', undefined, oidc.ClientSecretBasic(SECRETS.orders), insecure);
  t.ok(orders.serverMetadata().grant_types_supported?.includes(TOKEN_EXCHANGE), 'discovery lists the grant');
  const exchanged = await oidc.genericGrantRequest(orders, TOKEN_EXCHANGE, {
    subject_token: userToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    resource: BILLING,
  });
  t.equal(exchanged.issued_token_type, ACCESS_TOKEN_TYPE);
  t.equal(exchanged.token_type.toLowerCase(), 'bearer');
  t.notOk(exchanged.refresh_token, 'no refresh token: the person’s session refreshes, not this');
  const claims = decodeJwt(exchanged.access_token);
  t.match(claims, {
    sub: user.sub,
    aud: BILLING,
    client_id: 'orders-svc',
    scope: 'billing:read',
    sid: user.sid,
    auth_time: user.auth_time,
    act: { sub: 'orders-svc' },
  });
  t.ok(claims.exp! <= user.exp!, 'never outlives the subject token');

  // A chain: the billing service exchanges in turn; act nests (RFC 8693 §4.1).
  const billing = await oidc.discovery(new URL(auth.base), 'billing-svc', undefined, oidc.ClientSecretBasic(BILLING_SECRET), insecure);
  const chained = await oidc.genericGrantRequest(billing, TOKEN_EXCHANGE, {
    subject_token: exchanged.access_token,
    subject_token_type: ACCESS_TOKEN_TYPE,
    audience: INVOICES,
  });
  t.same(decodeJwt(chained.access_token).act, { sub: 'billing-svc', act: { sub: 'orders-svc' } });
  t.equal(decodeJwt(chained.access_token).sub, user.sub);

  // An exchanged token is for its resource alone.
  const forwardAuth = (aud: string, token: string) =>
    auth.app.inject({ url: `/forward-auth?aud=${encodeURIComponent(aud)}`, headers: { authorization: `Bearer ${token}` } });
  t.equal((await forwardAuth(BILLING, exchanged.access_token)).statusCode, 200);
  t.match(
    await introspection(auth.app, chained.access_token),
    { active: true, act: { sub: 'billing-svc', act: { sub: 'orders-svc' } } },
    'introspection shows act',
  );
  t.equal((await forwardAuth(ORDERS, exchanged.access_token)).statusCode, 401, 'used at another resource: refused');

  // The person signs out: every token exchanged from the session goes with it.
  const logout = await auth.app.inject({ method: 'POST', url: '/account/logout', headers: { authorization: `Bearer ${userToken}` } });
  t.equal(logout.statusCode, 204);
  t.equal((await introspection(auth.app, exchanged.access_token)).active, false);
  t.equal((await introspection(auth.app, chained.access_token)).active, false);
  const refused = await oidc
    .genericGrantRequest(orders, TOKEN_EXCHANGE, { subject_token: userToken, subject_token_type: ACCESS_TOKEN_TYPE, resource: BILLING })
    .catch((error: { error?: string; error_description?: string }) => error);
  t.match(refused, { error: 'invalid_request', error_description: /invalid, expired or revoked/ }, 'an ended session’s token is exchanged no more');
});

t.test('token exchange refuses what policy does not allow, and changes nothing', async (t) => {
  const auth = await listenTestApp(t, { clients: CLIENTS, config: { resources: RESOURCES } });
  await auth.app.inject({ method: 'POST', url: '/account/register', payload: { username: 'bob', password: 'long enough' } });
  const userToken = (await tokenRequest(auth.app, { grant_type: 'password', client_id: 'app', username: 'bob', password: 'long enough', resource: ORDERS }))
    .body.access_token!;
  const exchange = (params: Record<string, string>, client = 'orders-svc', secret: string = SECRETS.orders) =>
    tokenRequest(
      auth.app,
      { grant_type: TOKEN_EXCHANGE, subject_token: userToken, subject_token_type: ACCESS_TOKEN_TYPE, ...params },
      { authorization: basicAuth(client, secret) },
    );
  const refusals: Array<[Record<string, string>, string, string?, string?]> = [
    [{ resource: INVOICES }, 'invalid_target'],
    [{}, 'invalid_target'],
    [{ resource: BILLING, scope: 'orders:read' }, 'invalid_scope'],
    [{ resource: BILLING, actor_token: userToken, actor_token_type: ACCESS_TOKEN_TYPE }, 'invalid_request'],
    [{ resource: BILLING, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'invalid_request'],
    [{ resource: BILLING, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'invalid_request'],
    [{ resource: BILLING, subject_token: `${userToken.slice(0, -4)}AAAA` }, 'invalid_request'],
    [{ resource: BILLING, subject_token: 'not-a-token' }, 'invalid_request'],
    [{ resource: INVOICES }, 'invalid_request', 'billing-svc', BILLING_SECRET],
  ];
  for (const [params, error, client, secret] of refusals) {
    const answer = await exchange(params, client, secret);
    t.same([answer.status, answer.body.error], [400, error], `${client ?? 'orders-svc'} ${JSON.stringify(params).slice(0, 100)}`);
  }
  const gateway = await exchange({ resource: BILLING }, 'gateway', SECRETS.gateway);
  t.same([gateway.status, gateway.body.error], [400, 'unauthorized_client'], 'a client without the grant');
  t.equal((await exchange({ resource: BILLING })).status, 200, 'the same subject token still exchanges: the refusals spent nothing');
  t.throws(
    () => ClientRegistry.fromEntries([{ client_id: 'spa', type: 'public', grant_types: [TOKEN_EXCHANGE] }], 'api'),
    /a public client cannot exchange tokens/,
  );
});
