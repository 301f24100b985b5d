import type { FastifyInstance, InjectOptions } from 'fastify';
import { hashClientSecret } from '../../src/clients/secret.js';
import { buildTestApp, type StoreKind, type Teardown, type TestApp, type TestAppOptions } from './app.js';
import { SERVICE_CLIENTS } from './clients.js';
import { serviceToken } from './oauth.js';

/** The secret of the admin client `ops` below. */
export const OPS_SECRET = 'ops-secret-0123456789abcdefghijklmnopqrstuv';

/** A confidential client allowed the admin scope with client_credentials: the operator's tool. */
export const OPS_CLIENT = {
  client_id: 'ops',
  type: 'confidential',
  client_secret_hash: hashClientSecret(OPS_SECRET),
  grant_types: ['client_credentials'],
  scope: 'admin',
};

/** An app with the admin API on (not listening: tests inject into app.admin), the service clients and `ops`. */
export async function buildAdminTestApp(t: Teardown, store: StoreKind, options: TestAppOptions = {}): Promise<TestApp & { admin: FastifyInstance }> {
  const built = await buildTestApp(t, {
    store,
    clients: [...SERVICE_CLIENTS, OPS_CLIENT],
    ...options,
    config: { admin: { port: 0, host: '127.0.0.1' }, ...options.config },
  });
  if (!built.app.admin) throw new Error('the admin app was not built');
  return { ...built, admin: built.app.admin };
}

/** A client_credentials access token of a client (by default `ops`, with the admin scope). */
export function clientToken(app: FastifyInstance, clientId = 'ops', secret = OPS_SECRET): Promise<string> {
  return serviceToken(app, clientId, secret);
}

/** Calls the admin API with a bearer token. */
export function adminCall(admin: FastifyInstance, token: string | undefined, method: InjectOptions['method'], url: string, payload?: object) {
  return admin.inject({ method, url, ...(payload === undefined ? {} : { payload }), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}
