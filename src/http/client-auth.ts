import type { FastifyRequest } from 'fastify';
import { requestContext } from '../audit/audit-log.js';
import type { Client } from '../clients/client.js';
import type { ClientAuthenticator } from '../clients/client-authenticator.js';

/** The client authentication parameters a token, revocation or introspection body may carry. */
export interface ClientAuthParams {
  client_id?: string | undefined;
  client_secret?: string | undefined;
  client_assertion?: string | undefined;
  client_assertion_type?: string | undefined;
}

/** What requestClient uses of the services. */
export interface ClientAuthServices {
  clientAuthenticator: ClientAuthenticator;
}

/** Authenticates the client of a request: HTTP Basic, body parameters (RFC 6749 §2.3) or a JWT assertion (RFC 7523), through ClientAuthenticator. */
export function requestClient(services: ClientAuthServices, request: FastifyRequest, body: ClientAuthParams): Promise<Client> {
  const credentials = {
    authorization: request.headers.authorization,
    clientId: body.client_id,
    clientSecret: body.client_secret,
    clientAssertion: body.client_assertion,
    clientAssertionType: body.client_assertion_type,
  };
  return services.clientAuthenticator.authenticate(credentials, () => requestContext(request));
}

/** The client-authentication members of an endpoint's body schema. */
export const CLIENT_AUTH_PROPERTIES = {
  client_id: {
    type: 'string',
    maxLength: 255,
    description: 'The client (a client ID metadata document’s URL too); for confidential clients, or use HTTP Basic.',
  },
  client_secret: { type: 'string', maxLength: 512, description: 'client_secret_post (RFC 6749 §2.3.1); not together with HTTP Basic.' },
  client_assertion: { type: 'string', maxLength: 8192, description: 'private_key_jwt (RFC 7523 §2.2): a JWT signed with a key the client registered.' },
  client_assertion_type: { type: 'string', maxLength: 128, description: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer, with client_assertion.' },
} as const;
