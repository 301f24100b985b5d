import type { FastifyRequest } from 'fastify';
import { authenticateClient } from '../clients/authenticate.js';
import type { Client } from '../clients/client.js';
import type { ClientRegistry } from '../clients/registry.js';
import { requestContext, type AuditLog } from '../audit/audit-log.js';

/** The client authentication parameters a token, revocation or introspection body may carry. */
export interface ClientAuthParams {
  client_id?: string | undefined;
  client_secret?: string | undefined;
}

/** Authenticates the client of a request: HTTP Basic or body parameters (RFC 6749 §2.3); a failure is audited. */
export function requestClient(services: { clients: ClientRegistry; audit: AuditLog }, request: FastifyRequest, body: ClientAuthParams): Client {
  const credentials = { authorization: request.headers.authorization, clientId: body.client_id, clientSecret: body.client_secret };
  return authenticateClient(services.clients, credentials, (claimed) =>
    services.audit.emit({ event: 'client_auth_failed', ...requestContext(request), ...(claimed === undefined ? {} : { client_id: claimed.slice(0, 128) }) }),
  );
}

/** The client-authentication members of an endpoint's body schema. */
export const CLIENT_AUTH_PROPERTIES = {
  client_id: { type: 'string', maxLength: 128, description: 'The client; for confidential clients, or use HTTP Basic.' },
  client_secret: { type: 'string', maxLength: 512, description: 'client_secret_post (RFC 6749 §2.3.1); not together with HTTP Basic.' },
} as const;
