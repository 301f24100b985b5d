import type { FastifyRequest } from 'fastify';
import { authenticateClient, claimedClientId } from '../clients/authenticate.js';
import type { Client } from '../clients/client.js';
import type { ClientSync } from '../clients/client-sync.js';
import type { ClientRegistry } from '../clients/registry.js';
import { requestContext, type AuditLog } from '../audit/audit-log.js';

/** The client authentication parameters a token, revocation or introspection body may carry. */
export interface ClientAuthParams {
  client_id?: string | undefined;
  client_secret?: string | undefined;
}

/** What requestClient reads: the registry, the sync that keeps its runtime clients current, the audit log and the clock. */
export interface ClientAuthServices {
  clients: ClientRegistry;
  clientSync: ClientSync;
  audit: AuditLog;
  clock: () => number;
}

/**
 * Authenticates the client of a request: HTTP Basic or body parameters (RFC 6749 §2.3); a failure is audited. Before
 * a failure is final, this instance checks the store for newer runtime clients: a client created, or a secret
 * rotated, a moment ago on another instance works at once. Only failures pay for that check (one read of a counter,
 * shared by concurrent failures); the requests that fail are limited per IP as every token request is.
 */
export async function requestClient(services: ClientAuthServices, request: FastifyRequest, body: ClientAuthParams): Promise<Client> {
  const credentials = { authorization: request.headers.authorization, clientId: body.client_id, clientSecret: body.client_secret };
  const now = services.clock() / 1000;
  try {
    return authenticateClient(services.clients, credentials, undefined, now);
  } catch {
    if (claimedClientId(credentials) !== undefined) await services.clientSync.refresh();
    return authenticateClient(
      services.clients,
      credentials,
      (claimedId) =>
        services.audit.emit({
          event: 'client_auth_failed',
          ...requestContext(request),
          ...(claimedId === undefined ? {} : { client_id: claimedId.slice(0, 128) }),
        }),
      now,
    );
  }
}

/** The client-authentication members of an endpoint's body schema. */
export const CLIENT_AUTH_PROPERTIES = {
  client_id: { type: 'string', maxLength: 128, description: 'The client; for confidential clients, or use HTTP Basic.' },
  client_secret: { type: 'string', maxLength: 512, description: 'client_secret_post (RFC 6749 §2.3.1); not together with HTTP Basic.' },
} as const;
