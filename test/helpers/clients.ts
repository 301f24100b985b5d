import { hashClientSecret } from '../../src/clients/secret.js';

/** Secrets of the test clients below (only their hashes are in the client entries). */
export const SECRETS = {
  orders: 'orders-svc-secret-0123456789abcdefghijklmnop',
  gateway: 'gateway-secret-0123456789abcdefghijklmnopqr',
  billing: 'billing-secret-0123456789abcdefghijklmnopqr',
} as const;

/** A public browser client, two services, and a gateway allowed to introspect. */
export const SERVICE_CLIENTS = [
  { client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile orders:read' },
  {
    client_id: 'orders-svc',
    type: 'confidential',
    client_secret_hash: hashClientSecret(SECRETS.orders),
    grant_types: ['client_credentials'],
    scope: 'orders:read orders:write',
    audience: ['orders-api', 'audit-api'],
  },
  { client_id: 'billing-svc', type: 'confidential', client_secret_hash: hashClientSecret(SECRETS.billing), grant_types: ['password'], scope: 'billing' },
  {
    client_id: 'gateway',
    type: 'confidential',
    client_secret_hash: hashClientSecret(SECRETS.gateway),
    grant_types: ['client_credentials'],
    scope: 'introspect',
  },
];

/** An HTTP Basic header with the id and secret form-encoded (RFC 6749 §2.3.1). */
export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** The secret of `reporting` below. */
export const REPORTING_SECRET = 'reporting-secret-0123456789abcdefghijklmn';

/** The service clients and `reporting`, a service whose tokens are for the default audience (api) and may read orders: the gateway tests' clients. */
export const GATEWAY_CLIENTS = [
  ...SERVICE_CLIENTS,
  {
    client_id: 'reporting',
    type: 'confidential',
    client_secret_hash: hashClientSecret(REPORTING_SECRET),
    grant_types: ['client_credentials'],
    scope: 'orders:read',
  },
];
