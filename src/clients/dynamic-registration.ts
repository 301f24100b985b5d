import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import { profileProblem, type SecurityProfile } from './security-profile.js';
import { oauthError, type ServiceError } from '../errors.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import type { ClientRecord, ClientStore, ConsentStore } from '../store/types.js';
import type { Client } from './client.js';
import { clientFromRecord, type ClientSync } from './client-sync.js';
import { displayFieldsOf } from './client-display.js';
import { clientEntryFromMetadata, invalidMetadata, type TokenEndpointAuthMethod } from './client-metadata.js';
import type { ClientRegistrationPolicy } from './registration-policy.js';
import { EntryError } from './registry.js';
import type { RegistrationExpiry } from './registration-expiry.js';
import { generateClientSecret, hashClientSecret } from './secret.js';

/** The scope an initial access token carries (RFC 7591 §3): a client_credentials token of a client an operator allowed it. */
export const CLIENT_REGISTRATION_SCOPE = 'client_registration';

/** The path of the registration endpoint; a client's configuration endpoint (RFC 7592 §2) is below it. */
export const REGISTRATION_PATH = '/oauth/register';

/** The client metadata a registration is answered with (RFC 7591 §3.2.1, RFC 7592 §3). */
export interface RegisteredClient {
  client_id: string;
  client_id_issued_at: number;
  client_secret?: string;
  client_secret_expires_at?: 0;
  registration_access_token?: string;
  registration_client_uri: string;
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  response_types: ['code'];
  scope: string;
  jwks?: unknown;
  jwks_uri?: string;
  dpop_bound_access_tokens?: boolean;
  client_name?: string;
  logo_uri?: string;
  client_uri?: string;
  policy_uri?: string;
  tos_uri?: string;
}

/** How the service registers clients. */
export interface RegistrationSettings {
  policy: ClientRegistrationPolicy;
  issuer: string;
  defaultAudience: string;
  /** The most dynamically registered clients the store holds at once. */
  maxClients: number;
  /** The security profile (PROFILE): under fapi2 only a client it can serve registers (private_key_jwt, https). */
  profile: SecurityProfile;
}

/** What ClientRegistration works with. */
export interface ClientRegistrationDependencies {
  store: ClientStore;
  consents: ConsentStore;
  sync: ClientSync;
  /** Deletes the registered clients nobody used for a while (a registration sweeps first). */
  expiry: RegistrationExpiry;
  resources: ResourceRegistry;
  audit: AuditLog;
  settings: RegistrationSettings;
  /** Epoch milliseconds. */
  clock: () => number;
}

/** RFC 7592 §2: an unknown client and a wrong registration access token are one answer, so neither tells which. */
function invalidRegistrationToken(): ServiceError {
  return oauthError('invalid_token', 'the registration access token is invalid', { 'www-authenticate': 'Bearer error="invalid_token"' });
}

function hashToken(token: string): string {
  return hash('sha256', token, 'base64url');
}

/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592): what a client that has never met this service
 * (an MCP client, a CLI) may register, and how it reads, changes and deletes its registration afterwards. A registered
 * client is a third-party one (consent is always asked), uses the authorization code grant with PKCE, and gets tokens
 * for this service itself unless it names a resource (RFC 8707) open to every client: never the default audience of
 * the APIs behind the gateway.
 */
export class ClientRegistration {
  constructor(private readonly deps: ClientRegistrationDependencies) {}

  /** The registration policy (discovery lists the endpoint unless it is closed). */
  get policy(): ClientRegistrationPolicy {
    return this.deps.settings.policy;
  }

  /** Registers a client (RFC 7591 §3.1); `mayHoldSecrets`: an initial access token came with it, so a confidential client may be made. */
  async register(metadata: unknown, mayHoldSecrets: boolean, context: AuditContext): Promise<RegisteredClient> {
    const { entry, method } = clientEntryFromMetadata(metadata, {
      mayHoldSecrets,
      mayUseKeys: true,
      issuer: this.deps.settings.issuer,
      resources: this.deps.resources,
    });
    // The sweep reads every runtime client anyway: what remains of them is what the ceiling counts.
    const clients = await this.deps.expiry.sweep();
    if (clients.filter((record) => record.registration !== undefined).length >= this.deps.settings.maxClients) {
      throw oauthError('temporarily_unavailable', 'the service holds as many registered clients as it may; retry later');
    }
    const clientId = randomBytes(16).toString('base64url');
    const secret = method === 'client_secret_basic' || method === 'client_secret_post' ? generateClientSecret() : undefined;
    const token = randomBytes(32).toString('base64url');
    const now = this.#now();
    const stored = { client_id: clientId, ...entry, ...(secret === undefined ? {} : { client_secret_hash: hashClientSecret(secret) }) };
    const record: ClientRecord = { entry: stored, createdAt: now, updatedAt: now, registration: { tokenHash: hashToken(token), method } };
    this.#valid(record);
    if ((await this.deps.store.create(record)) !== 'created') throw oauthError('temporarily_unavailable', 'registration failed; retry');
    await this.deps.sync.refresh();
    this.deps.audit.emit({ event: 'client_registered', ...context, client_id: clientId });
    return {
      ...this.#response(record),
      ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
      registration_access_token: token,
    };
  }

  /** A client's registration as it stands (RFC 7592 §2.1); its secret is never shown again (only its hash is kept). */
  async read(clientId: string, token: string): Promise<RegisteredClient> {
    return this.#response(await this.#authorized(clientId, token));
  }

  /**
   * Replaces a client's metadata (RFC 7592 §2.2): the request is the whole registration, validated as a new one; the
   * client_id stays, and so do its secret and the consents people gave it.
   */
  async update(clientId: string, token: string, metadata: unknown, context: AuditContext): Promise<RegisteredClient> {
    const record = await this.#authorized(clientId, token);
    if (typeof metadata === 'object' && metadata !== null && (metadata as Record<string, unknown>).client_id !== clientId) {
      throw oauthError('invalid_request', 'the request must name the client_id it changes');
    }
    const { entry, method } = clientEntryFromMetadata(metadata, {
      mayHoldSecrets: record.registration!.method !== 'none' && record.registration!.method !== 'private_key_jwt',
      mayUseKeys: true,
      issuer: this.deps.settings.issuer,
      resources: this.deps.resources,
    });
    if (method !== record.registration!.method) throw invalidMetadata('token_endpoint_auth_method cannot change');
    const secretHash = record.entry.client_secret_hash;
    const updated: ClientRecord = {
      ...record,
      entry: { client_id: clientId, ...entry, ...(secretHash === undefined ? {} : { client_secret_hash: secretHash }) },
      updatedAt: this.#now(),
    };
    this.#valid(updated);
    if (!(await this.deps.store.replace(updated))) throw invalidRegistrationToken();
    await this.deps.sync.refresh();
    this.deps.audit.emit({ event: 'client_registration_updated', ...context, client_id: clientId });
    return this.#response(updated);
  }

  /** Deletes a client (RFC 7592 §2.3): its tokens and sessions are refused from now on, the consents given it forgotten. */
  async delete(clientId: string, token: string, context: AuditContext): Promise<void> {
    await this.#authorized(clientId, token);
    if (!(await this.deps.store.delete(clientId))) throw invalidRegistrationToken();
    await this.deps.sync.refresh();
    await this.deps.consents.forgetClient(clientId);
    this.deps.audit.emit({ event: 'client_registration_deleted', ...context, client_id: clientId });
  }

  /** The stored record of a registered client whose registration access token this is; invalid_token otherwise. */
  async #authorized(clientId: string, token: string): Promise<ClientRecord> {
    const { clients } = await this.deps.store.all();
    const record = clients.find((candidate) => candidate.entry.client_id === clientId);
    const expected = record?.registration === undefined ? undefined : Buffer.from(record.registration.tokenHash);
    const presented = Buffer.from(hashToken(token));
    if (expected === undefined || expected.length !== presented.length || !timingSafeEqual(expected, presented)) throw invalidRegistrationToken();
    return record!;
  }

  #valid(record: ClientRecord): Client {
    let client: Client;
    try {
      client = clientFromRecord(record, this.deps.settings.defaultAudience);
    } catch (error) {
      if (error instanceof EntryError) throw invalidMetadata(`the client ${error.message}`);
      throw error;
    }
    const problem = profileProblem(client, this.deps.settings.profile);
    if (problem !== undefined) throw invalidMetadata(`under PROFILE=${this.deps.settings.profile} the client ${problem}`);
    return client;
  }

  #response(record: ClientRecord): RegisteredClient {
    const { entry } = record;
    const display = displayFieldsOf(entry);
    const clientId = String(entry.client_id);
    return {
      client_id: clientId,
      client_id_issued_at: record.createdAt,
      registration_client_uri: `${this.deps.settings.issuer}${REGISTRATION_PATH}/${clientId}`,
      redirect_uris: entry.redirect_uris as string[],
      token_endpoint_auth_method: record.registration!.method,
      grant_types: entry.grant_types as string[],
      response_types: ['code'],
      scope: String(entry.scope),
      ...(entry.jwks === undefined ? {} : { jwks: entry.jwks }),
      ...(entry.jwks_uri === undefined ? {} : { jwks_uri: String(entry.jwks_uri) }),
      ...(entry.dpop_bound_access_tokens === true ? { dpop_bound_access_tokens: true } : {}),
      ...display,
    };
  }

  #now(): number {
    return Math.floor(this.deps.clock() / 1000);
  }
}
