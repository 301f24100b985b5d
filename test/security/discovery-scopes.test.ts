/**
 * Discovery's scopes_supported lists what a client may ask for in a browser: the OpenID scopes and the scopes of
 * authorization_code clients. The internal scopes of service-to-service and password-grant clients are not published
 * to the world, and neither are the privileged ones (introspect, admin).
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { SIGN_IN_CLIENTS } from '../helpers/sign-in.js';

const PAYMENTS = {
  client_id: 'payments',
  type: 'confidential',
  client_secret_hash: `sha256:${'0'.repeat(64)}`,
  grant_types: ['client_credentials'],
  scope: 'payments:refund ledger:write',
};
const NOTES = {
  client_id: 'notes',
  type: 'public',
  grant_types: ['authorization_code'],
  scope: 'openid notes:read',
  redirect_uris: ['https://notes.example/cb'],
};

t.test('scopes_supported: the OpenID scopes and those of browser clients, never a service client’s', async (t) => {
  const { app } = await buildTestApp(t, { clients: [...SERVICE_CLIENTS, ...SIGN_IN_CLIENTS, PAYMENTS, NOTES] });
  const { scopes_supported: scopes } = (await app.inject({ url: '/.well-known/openid-configuration' })).json() as { scopes_supported: string[] };
  t.same(scopes, ['email', 'notes:read', 'openid', 'profile']);
  for (const internal of ['payments:refund', 'ledger:write', 'orders:write', 'orders:read', 'billing', 'introspect'])
    t.notOk(scopes.includes(internal), internal);
});
