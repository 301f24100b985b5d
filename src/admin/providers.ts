import type { AuditLog } from '../audit/audit-log.js';
import { oauthError } from '../errors.js';
import { parseProviderEntry, ProviderEntryError, type UpstreamProvider } from '../federation/provider.js';
import { providerFromRecord, sealedEntry, type ProviderRegistry, type ProviderSync } from '../federation/provider-registry.js';
import type { SecretBox } from '../mfa/secret-box.js';
import { PROVIDER_ID_HOLD_SECONDS, type ProviderRecord, type ProviderStore } from '../store/types.js';
import { auditAdmin, type AdminActor } from './actor.js';

/** The most runtime providers: each is a button on the login page. */
export const MAX_RUNTIME_PROVIDERS = 50;

/** A provider as the admin API shows it: the entry's fields, never its client secret. */
export interface AdminProviderView {
  id: string;
  name: string;
  issuer: string;
  client_id: string;
  scope: string;
  icon: string | null;
  userinfo: boolean;
  create_accounts: boolean;
  trust_email: boolean;
  claims: { username: string; email: string; email_verified: string };
  /** The redirect URI to register at the provider. */
  callback_url: string;
  source: 'file' | 'store';
  created_at: number | null;
  updated_at: number | null;
}

/** What ProviderAdmin works with. */
export interface ProviderAdminDependencies {
  store: ProviderStore;
  registry: ProviderRegistry;
  sync: ProviderSync;
  /** Seals client secrets at rest (MFA_SECRET_KEY), when a key is set. */
  box: SecretBox;
  audit: AuditLog;
  /** This service's issuer: callbacks are `<issuer>/login/<id>/callback`. */
  issuer: string;
  /** Epoch milliseconds. */
  clock: () => number;
}

/**
 * Upstream providers at runtime, for operators (the admin API and the CLI call these same methods). They live in the
 * store and every instance offers a change within a second (ProviderSync); PROVIDERS_FILE providers are read-only here
 * (409). Entries are validated exactly as the file's are, and take their client secret as `client_secret` (an
 * environment variable's name would mean another thing on each instance); it is sealed at rest under MFA_SECRET_KEY
 * when one is set, and never shown again. Deleting a provider keeps its links: they sign nothing in, and show as no
 * longer offered.
 */
export class ProviderAdmin {
  constructor(private readonly deps: ProviderAdminDependencies) {}

  /** Every provider, the file's first, then the store's by id. */
  async list(): Promise<AdminProviderView[]> {
    const fileIds = new Set(this.deps.registry.fileProviders().map((provider) => provider.id));
    const stored = (await this.#stored()).filter((entry) => !fileIds.has(entry.provider.id));
    return [
      ...this.deps.registry.fileProviders().map((provider) => this.#view(provider, undefined)),
      ...stored.sort((a, b) => a.provider.id.localeCompare(b.provider.id)).map(({ provider, record }) => this.#view(provider, record)),
    ];
  }

  async get(id: string): Promise<AdminProviderView> {
    const fileProvider = this.#fileProvider(id);
    if (fileProvider) return this.#view(fileProvider, undefined);
    const { provider, record } = await this.#record(id);
    return this.#view(provider, record);
  }

  /** Adds a provider, offered on every instance within a second. */
  async create(entry: Record<string, unknown>, actor: AdminActor): Promise<AdminProviderView> {
    this.#secretGiven(entry);
    const provider = this.#valid(entry);
    if (this.#fileProvider(provider.id)) throw fromFile(provider.id);
    if ((await this.deps.store.all()).providers.length >= MAX_RUNTIME_PROVIDERS) {
      throw oauthError('conflict', `at most ${MAX_RUNTIME_PROVIDERS} providers can be added at runtime`);
    }
    const now = this.#now();
    const record: ProviderRecord = { entry: sealedEntry(entry, this.deps.box), createdAt: now, updatedAt: now };
    const outcome = await this.deps.store.create(record);
    if (outcome === 'taken') throw oauthError('conflict', `a provider with id ${provider.id} exists`);
    if (outcome === 'held') throw oauthError('conflict', `provider ${provider.id} was deleted moments ago; its id is free ${PROVIDER_ID_HOLD_SECONDS} s after`);
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, 'provider_created', provider.id);
    return this.#view(provider, record);
  }

  /** Changes fields of a stored provider (not its id; its secret through setSecret); the result is validated as a whole. */
  async update(id: string, changes: Record<string, unknown>, actor: AdminActor): Promise<AdminProviderView> {
    const fixed = ['id', 'client_secret', 'client_secret_env'].filter((field) => field in changes);
    if (fixed.length > 0) throw oauthError('invalid_request', `${fixed.join(', ')} cannot change here (the secret: PUT …/secret)`);
    const { provider: current, record } = await this.#changeable(id);
    return this.#replace(record, { ...record.entry, ...changes, client_secret: current.clientSecret }, 'provider_updated', actor);
  }

  /** Replaces a stored provider's client secret (the provider issued a new one); never shown again. */
  async setSecret(id: string, secret: unknown, actor: AdminActor): Promise<AdminProviderView> {
    const { record } = await this.#changeable(id);
    return this.#replace(record, { ...record.entry, client_secret: secret }, 'provider_secret_rotated', actor);
  }

  /** Removes a stored provider: no instance offers it a second later; the identities linked through it sign nothing in. */
  async delete(id: string, actor: AdminActor): Promise<void> {
    await this.#changeable(id);
    if (!(await this.deps.store.delete(id))) throw noSuchProvider();
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, 'provider_deleted', id);
  }

  async #replace(
    record: ProviderRecord,
    entry: Record<string, unknown>,
    action: 'provider_updated' | 'provider_secret_rotated',
    actor: AdminActor,
  ): Promise<AdminProviderView> {
    this.#secretGiven(entry);
    const provider = this.#valid(entry);
    const updated: ProviderRecord = { ...record, entry: sealedEntry(entry, this.deps.box), updatedAt: this.#now() };
    if (!(await this.deps.store.replace(updated))) throw noSuchProvider();
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, action, provider.id);
    return this.#view(provider, updated);
  }

  /** Stored entries carry their secret itself: refuses an environment variable's name, and a missing secret. */
  #secretGiven(entry: Record<string, unknown>): void {
    if ('client_secret_env' in entry) throw oauthError('invalid_request', 'give client_secret itself: client_secret_env is for PROVIDERS_FILE');
    if (typeof entry.client_secret !== 'string' || entry.client_secret === '') throw oauthError('invalid_request', 'client_secret is required');
  }

  /** The provider an entry makes; invalid_request saying what is wrong, as PROVIDERS_FILE's start-up check would. */
  #valid(entry: Record<string, unknown>): UpstreamProvider {
    try {
      return parseProviderEntry(entry, {});
    } catch (error) {
      if (error instanceof ProviderEntryError) throw oauthError('invalid_request', `the provider ${error.message}`);
      throw error;
    }
  }

  #view(provider: UpstreamProvider, record: ProviderRecord | undefined): AdminProviderView {
    return {
      id: provider.id,
      name: provider.name,
      issuer: provider.issuer,
      client_id: provider.clientId,
      scope: provider.scope,
      icon: provider.icon ?? null,
      userinfo: provider.userinfo,
      create_accounts: provider.createAccounts,
      trust_email: provider.trustEmail,
      claims: { username: provider.claims.username, email: provider.claims.email, email_verified: provider.claims.emailVerified },
      callback_url: `${this.deps.issuer}/login/${provider.id}/callback`,
      source: record === undefined ? 'file' : 'store',
      created_at: record?.createdAt ?? null,
      updated_at: record?.updatedAt ?? null,
    };
  }

  #now(): number {
    return Math.floor(this.deps.clock() / 1000);
  }

  #fileProvider(id: string): UpstreamProvider | undefined {
    return this.deps.registry.fileProviders().find((provider) => provider.id === id);
  }

  /** A stored provider an operator may change: 409 for a PROVIDERS_FILE one, 404 for none. */
  async #changeable(id: string) {
    if (this.#fileProvider(id)) throw fromFile(id);
    return this.#record(id);
  }

  async #record(id: string): Promise<{ provider: UpstreamProvider; record: ProviderRecord }> {
    const found = (await this.#stored()).find((entry) => entry.provider.id === id);
    if (!found) throw noSuchProvider();
    return found;
  }

  /** The stored providers that are valid (one that no longer parses, or whose secret does not open, is left out). */
  async #stored(): Promise<Array<{ provider: UpstreamProvider; record: ProviderRecord }>> {
    return (await this.deps.store.all()).providers.flatMap((record) => {
      try {
        return [{ provider: providerFromRecord(record, this.deps.box), record }];
      } catch (error) {
        if (error instanceof ProviderEntryError) return [];
        throw error;
      }
    });
  }
}

function noSuchProvider() {
  return oauthError('not_found', 'no such provider');
}

function fromFile(id: string) {
  return oauthError('conflict', `provider ${id} comes from PROVIDERS_FILE and is read-only here: change the file and restart`);
}
