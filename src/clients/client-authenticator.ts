import { decodeJwt } from 'jose';
import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import { authenticateClient, claimedClientId, type ClientCredentials } from './authenticate.js';
import type { Client } from './client.js';
import type { ClientSync } from './client-sync.js';
import type { ClientMetadataDocuments } from './metadata-documents.js';
import type { RegistrationExpiry } from './registration-expiry.js';
import { CLIENT_ASSERTION_TYPE, type ClientAssertions } from './client-assertion.js';
import { oauthError } from '../errors.js';
import { profileProblem, type SecurityProfile } from './security-profile.js';
import { isDocumentClientId, type ClientRegistry } from './registry.js';

/** What authenticating a client works with: the registry, the sync that keeps its runtime clients current, the audit log and the clock. */
export interface ClientAuthenticatorDependencies {
  clients: ClientRegistry;
  clientSync: ClientSync;
  /** Reads the metadata document a client_id that is a URL names. */
  documents: ClientMetadataDocuments;
  /** Verifies private_key_jwt client assertions. */
  assertions: Pick<ClientAssertions, 'authenticate'>;
  /** Renews a self-registered client's use mark. */
  expiry: Pick<RegistrationExpiry, 'used'>;
  audit: AuditLog;
  clock: () => number;
  /** The security profile (PROFILE): a client it cannot serve is refused however it authenticates. */
  profile: SecurityProfile;
}

/** The client an assertion says it is (`sub`, RFC 7523 §3), unverified; undefined when it cannot be read. */
function assertedClientId(assertion: string): string | undefined {
  try {
    const { sub } = decodeJwt(assertion);
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Authenticates the client of a request (RFC 6749 §2.3); a failure writes client_auth_failed. Before a failure is
 * final, this instance checks the store for newer runtime clients: a client created, or a secret rotated, a moment
 * ago on another instance works at once. Only failures pay for that check (one read of a counter, shared by
 * concurrent failures).
 */
export class ClientAuthenticator {
  constructor(private readonly deps: ClientAuthenticatorDependencies) {}

  /**
   * The client these credentials authenticate; invalid_client (401) otherwise. `context` is asked only for a failure's
   * event: every introspection and token request authenticates its client, and most succeed.
   */
  async authenticate(credentials: ClientCredentials, context: () => AuditContext): Promise<Client> {
    const now = this.deps.clock() / 1000;
    let client: Client;
    if (credentials.clientAssertion !== undefined || credentials.clientAssertionType !== undefined) {
      client = await this.#byAssertion(credentials, context);
    } else {
      try {
        client = authenticateClient(this.deps.clients, credentials, undefined, now);
      } catch {
        client = await this.#afterFailure(credentials, context, now);
      }
    }
    // A client made before the profile was switched on (at runtime, in the store) is refused, not served half-way.
    const problem = profileProblem(client, this.deps.profile);
    if (problem !== undefined) {
      this.deps.audit.emit({ event: 'client_auth_failed', ...context(), client_id: client.clientId });
      throw oauthError('invalid_client', `this client cannot be served under PROFILE=${this.deps.profile}: it ${problem}`);
    }
    // A self-registered client lives while it is used (RFC 7591 clients expire unused).
    if (client.selfRegistered) await this.deps.expiry.used(client.clientId);
    return client;
  }

  /** private_key_jwt (RFC 7523 §2.2): the assertion alone, of the one type; with a secret or Basic beside it, a request to refuse. */
  async #byAssertion(credentials: ClientCredentials, context: () => AuditContext): Promise<Client> {
    if (credentials.clientAssertionType !== CLIENT_ASSERTION_TYPE || credentials.clientAssertion === undefined) {
      throw oauthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}, with client_assertion`);
    }
    if (credentials.clientSecret !== undefined || /^basic /i.test(credentials.authorization ?? '')) {
      throw oauthError('invalid_request', 'use one client authentication method, not an assertion and a secret together');
    }
    const failed = (clientId: string | undefined) =>
      this.deps.audit.emit({ event: 'client_auth_failed', ...context(), ...(clientId === undefined ? {} : { client_id: clientId.slice(0, 128) }) });
    // A client_id that is a URL names its metadata document, and so its keys: read before the assertion is checked.
    const named = credentials.clientId ?? assertedClientId(credentials.clientAssertion);
    if (named !== undefined && isDocumentClientId(named)) await this.deps.documents.resolve(named);
    return this.deps.assertions.authenticate(credentials.clientAssertion, credentials.clientId, failed);
  }

  /**
   * Only a failure pays for a look further: a client_id that is a URL names its metadata document (read here when this
   * instance holds no client for it; the authorization endpoint re-reads stale ones), any other a runtime client created
   * elsewhere a moment ago. Then the answer is final.
   */
  async #afterFailure(credentials: ClientCredentials, context: () => AuditContext, now: number): Promise<Client> {
    const { clients, clientSync, documents, audit } = this.deps;
    const claimed = claimedClientId(credentials);
    if (claimed !== undefined && isDocumentClientId(claimed)) await documents.resolve(claimed);
    else if (claimed !== undefined) await clientSync.refresh();
    const failed = (claimedId: string | undefined) =>
      audit.emit({ event: 'client_auth_failed', ...context(), ...(claimedId === undefined ? {} : { client_id: claimedId.slice(0, 128) }) });
    return authenticateClient(clients, credentials, failed, now);
  }
}
