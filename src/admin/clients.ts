import type { AuditLog } from '../audit/audit-log.js';
import type { Client } from '../clients/client.js';
import { clientFromRecord, validClients, type ClientSync } from '../clients/client-sync.js';
import { EntryError, type ClientRegistry } from '../clients/registry.js';
import { profileProblem, type SecurityProfile } from '../clients/security-profile.js';
import { generateClientSecret, hashClientSecret } from '../clients/secret.js';
import { oauthError } from '../errors.js';
import { CLIENT_ID_HOLD_SECONDS, type ClientRecord, type ClientStore, type ConsentStore } from '../store/types.js';
import { auditAdmin, type AdminActor } from './actor.js';
import { pageOf, type Page, type PageRequest } from './pagination.js';

/** What an update cannot change: the id and type a client's tokens and sessions are bound to, and its secret. */
const FIXED_FIELDS = new Set(['client_id', 'type', 'client_secret_hash', 'client_secret']);

/** The longest grace a secret rotation may give the previous secret: 30 days. */
export const SECRET_GRACE_MAX = 30 * 86_400;

/** A client as the admin API shows it: the entry's fields (never a secret or its hash), where it lives, and its dates. */
export interface AdminClientView {
  client_id: string;
  type: Client['type'];
  grant_types: string[];
  scope: string;
  audience: string[];
  refresh_token_delivery: Client['refreshTokenDelivery'];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  first_party: boolean;
  require_mfa: boolean;
  dpop_bound_access_tokens: boolean;
  description: string | null;
  client_name: string | null;
  logo_uri: string | null;
  client_uri: string | null;
  policy_uri: string | null;
  tos_uri: string | null;
  source: Client['source'];
  created_at: number | null;
  updated_at: number | null;
  /** Until when the secret a rotation replaced still works (epoch seconds); null when none does. */
  previous_secret_expires_at: number | null;
}

/** What a create or a secret rotation answers: the client and, for a confidential one, its new secret, shown once. */
export interface ClientWithSecret {
  client: AdminClientView;
  client_secret?: string;
}

/** What ClientAdmin works with. */
export interface ClientAdminDependencies {
  store: ClientStore;
  /** The consents people gave clients, forgotten with a deleted client. */
  consents: ConsentStore;
  registry: ClientRegistry;
  sync: ClientSync;
  audit: AuditLog;
  defaultAudience: string;
  /** The security profile (PROFILE): a client it cannot serve is refused here, as at start. */
  profile: SecurityProfile;
  /** Epoch milliseconds. */
  clock: () => number;
}

function view(client: Client, record: ClientRecord | undefined, now: number): AdminClientView {
  const until = record?.previousSecretUntil;
  return {
    client_id: client.clientId,
    type: client.type,
    grant_types: [...client.grantTypes],
    scope: client.scopes.join(' '),
    audience: [...client.audience],
    refresh_token_delivery: client.refreshTokenDelivery,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    first_party: client.firstParty,
    require_mfa: client.requireMfa,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    description: client.description ?? null,
    client_name: client.display.name ?? null,
    logo_uri: client.display.logoUri ?? null,
    client_uri: client.display.clientUri ?? null,
    policy_uri: client.display.policyUri ?? null,
    tos_uri: client.display.tosUri ?? null,
    source: client.source,
    created_at: record?.createdAt ?? null,
    updated_at: record?.updatedAt ?? null,
    previous_secret_expires_at: until !== undefined && until > now ? until : null,
  };
}

/**
 * Clients at runtime, for operators (the admin API and the CLI call these same methods). They live in the store and
 * every instance picks a change up within a second (ClientSync); CLIENTS_FILE clients are read-only here (409).
 * Entries are validated exactly as the file's are. Deleting a client refuses its tokens and its sessions' refresh
 * tokens at once (ClientRegistry.issuedToCurrent), also if a client of the same id is created again later.
 */
export class ClientAdmin {
  constructor(private readonly deps: ClientAdminDependencies) {}

  /** Every client, from the file and the store, in client_id order. */
  async list(page: PageRequest): Promise<Page<AdminClientView>> {
    const records = await this.#records();
    const now = this.#now();
    const fromFile = this.deps.registry.fileClients().map((client) => view(client, undefined, now));
    const fileIds = new Set(fromFile.map((client) => client.client_id));
    // A stored client whose id CLIENTS_FILE took since is shadowed by the file's, as the registry does.
    const stored = validClients([...records.values()], this.deps.defaultAudience, () => {})
      // A stored record that no longer parses (written by hand, say) is left out of the list rather than failing it.
      .map(({ record, client }) => view(client, record, now))
      .filter((client) => !fileIds.has(client.client_id));
    return pageOf([...fromFile, ...stored], (client) => client.client_id, page);
  }

  async get(clientId: string): Promise<AdminClientView> {
    const fileClient = this.#fileClient(clientId);
    if (fileClient) return view(fileClient, undefined, this.#now());
    const record = await this.#record(clientId);
    return view(this.#valid(record.entry, record.createdAt), record, this.#now());
  }

  /** Registers a client; a confidential one gets a new secret, answered here once (only its hash is stored). */
  async create(entry: Record<string, unknown>, actor: AdminActor): Promise<ClientWithSecret> {
    if ('client_secret_hash' in entry || 'client_secret' in entry)
      throw oauthError('invalid_request', 'the service makes the secret: leave client_secret(_hash) out');
    const clientId = String(entry.client_id);
    if (this.#fileClient(clientId)) throw fromFile(clientId);
    // A confidential client with keys (jwks, jwks_uri) authenticates with them (private_key_jwt): no secret.
    const secret = entry.type === 'confidential' && entry.jwks === undefined && entry.jwks_uri === undefined ? generateClientSecret() : undefined;
    const now = this.#now();
    const stored = { ...entry, ...(secret === undefined ? {} : { client_secret_hash: hashClientSecret(secret) }) };
    const client = this.#valid(stored, now);
    const record: ClientRecord = { entry: stored, createdAt: now, updatedAt: now };
    const outcome = await this.deps.store.create(record);
    if (outcome === 'taken') throw oauthError('conflict', `a client with client_id ${clientId} exists`);
    if (outcome === 'held')
      throw oauthError('conflict', `client_id ${clientId} was deleted moments ago; it can be taken again ${CLIENT_ID_HOLD_SECONDS} s after`);
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, 'client_created', clientId);
    return { client: view(client, record, now), ...(secret === undefined ? {} : { client_secret: secret }) };
  }

  /** Changes fields of a stored client (not its id, type or secret); the result is validated as a whole. */
  async update(clientId: string, changes: Record<string, unknown>, actor: AdminActor): Promise<AdminClientView> {
    const fixed = Object.keys(changes).filter((field) => FIXED_FIELDS.has(field));
    if (fixed.length > 0) throw oauthError('invalid_request', `${fixed.join(', ')} cannot change (rotate the secret with POST …/secret)`);
    const record = await this.#changeable(clientId);
    const entry = { ...record.entry, ...changes };
    const client = this.#valid(entry, record.createdAt);
    const updated: ClientRecord = { ...record, entry, updatedAt: this.#now() };
    if (!(await this.deps.store.replace(updated))) throw noSuchClient();
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, 'client_updated', clientId);
    return view(client, updated, this.#now());
  }

  /**
   * Deletes a stored client: its tokens and sessions are refused from now on, on every instance within a second, and
   * the consents people gave it are forgotten (a client re-created with its id asks again).
   */
  async delete(clientId: string, actor: AdminActor): Promise<void> {
    await this.#changeable(clientId);
    if (!(await this.deps.store.delete(clientId))) throw noSuchClient();
    await this.deps.sync.refresh();
    await this.deps.consents.forgetClient(clientId);
    auditAdmin(this.deps.audit, actor, 'client_deleted', clientId);
  }

  /** Gives a confidential client a new secret; the previous one keeps working for `graceSeconds` (0: not at all). */
  async rotateSecret(clientId: string, graceSeconds: number, actor: AdminActor): Promise<ClientWithSecret> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > SECRET_GRACE_MAX)
      throw oauthError('invalid_request', `the grace must be 0 to ${SECRET_GRACE_MAX} seconds`);
    const record = await this.#changeable(clientId);
    if (record.entry.type !== 'confidential') throw oauthError('conflict', 'a public client has no secret');
    if (record.entry.client_secret_hash === undefined) throw oauthError('conflict', 'this client authenticates with its keys (private_key_jwt), not a secret');
    const secret = generateClientSecret();
    const now = this.#now();
    const { previousSecretHash: _hash, previousSecretUntil: _until, ...rest } = record;
    const rotated: ClientRecord = {
      ...rest,
      entry: { ...record.entry, client_secret_hash: hashClientSecret(secret) },
      updatedAt: now,
      ...(graceSeconds > 0 ? { previousSecretHash: record.entry.client_secret_hash as string, previousSecretUntil: now + graceSeconds } : {}),
    };
    if (!(await this.deps.store.replace(rotated))) throw noSuchClient();
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, 'client_secret_rotated', clientId);
    return { client: view(this.#valid(rotated.entry, rotated.createdAt), rotated, now), client_secret: secret };
  }

  #now(): number {
    return Math.floor(this.deps.clock() / 1000);
  }

  #fileClient(clientId: string): Client | undefined {
    return this.deps.registry.fileClients().find((client) => client.clientId === clientId);
  }

  /** A stored client an operator may change: 409 for a CLIENTS_FILE client, 404 for none. */
  async #changeable(clientId: string): Promise<ClientRecord> {
    if (this.#fileClient(clientId)) throw fromFile(clientId);
    return this.#record(clientId);
  }

  async #record(clientId: string): Promise<ClientRecord> {
    const record = (await this.#records()).get(clientId);
    if (!record) throw noSuchClient();
    return record;
  }

  async #records(): Promise<Map<string, ClientRecord>> {
    const { clients } = await this.deps.store.all();
    return new Map(clients.map((record) => [String(record.entry.client_id), record]));
  }

  /** The client an entry makes; invalid_request saying what is wrong, as CLIENTS_FILE's start-up check would. */
  #valid(entry: Record<string, unknown>, createdAt: number): Client {
    let client: Client;
    try {
      client = clientFromRecord({ entry, createdAt, updatedAt: createdAt }, this.deps.defaultAudience);
    } catch (error) {
      if (error instanceof EntryError) throw oauthError('invalid_request', `the client ${error.message}`);
      throw error;
    }
    const problem = profileProblem(client, this.deps.profile);
    if (problem !== undefined) throw oauthError('invalid_request', `under PROFILE=${this.deps.profile} the client ${problem}`);
    return client;
  }
}

function noSuchClient() {
  return oauthError('not_found', 'no such client');
}

function fromFile(clientId: string) {
  return oauthError('conflict', `client ${clientId} comes from CLIENTS_FILE and is read-only here: change the file and restart`);
}
