import { metadataUrlOf } from '@tokensmith/verifier/shared';
import type { AuditLog } from '../audit/audit-log.js';
import { oauthError } from '../errors.js';
import { parseResourceEntry, ResourceEntryError, type ProtectedResource } from '../resources/protected-resource.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import { resourceFromRecord, type ResourceSync } from '../resources/resource-sync.js';
import { RESOURCE_HOLD_SECONDS, type ResourceRecord, type ResourceStore } from '../store/types.js';
import { auditAdmin, type AdminActor } from './actor.js';

/** The most runtime resources: each is read on every token request that names one, and listed in metadata. */
export const MAX_RUNTIME_RESOURCES = 500;

/** A resource as the admin API shows it: its entry's fields, where its RFC 9728 metadata is, and where it comes from. */
export interface AdminResourceView {
  resource: string;
  name: string | null;
  scopes: string[] | null;
  clients: string[] | '*';
  exchanged_by: string[];
  /** Where this service answers its protected resource metadata (RFC 9728 §3.1). */
  metadata_url: string;
  source: 'file' | 'store';
  created_at: number | null;
  updated_at: number | null;
}

/** What ResourceAdmin works with. */
export interface ResourceAdminDependencies {
  store: ResourceStore;
  registry: ResourceRegistry;
  sync: ResourceSync;
  audit: AuditLog;
  /** Epoch milliseconds. */
  clock: () => number;
}

/**
 * Protected resources at runtime, for operators (the admin API and the CLI call these same methods): they live in the
 * store and every instance holds a change within a second (ResourceSync); RESOURCES_FILE's are read-only here (409).
 * Entries are validated exactly as the file's are. A resource deleted, or a client taken off its `clients`, gets no
 * new token from then on: a refresh of a session granted for it is invalid_target. Tokens issued before live out their
 * short lifetime.
 */
export class ResourceAdmin {
  constructor(private readonly deps: ResourceAdminDependencies) {}

  /** Every resource, the file's first, then the store's by identifier. */
  async list(): Promise<AdminResourceView[]> {
    const fileIdentifiers = new Set(this.deps.registry.fileResources().map((resource) => resource.identifier));
    const stored = (await this.#stored()).filter((entry) => !fileIdentifiers.has(entry.resource.identifier));
    return [
      ...this.deps.registry.fileResources().map((resource) => view(resource, undefined)),
      ...stored.sort((a, b) => a.resource.identifier.localeCompare(b.resource.identifier)).map(({ resource, record }) => view(resource, record)),
    ];
  }

  async get(identifier: string): Promise<AdminResourceView> {
    const fileResource = this.#fileResource(identifier);
    if (fileResource) return view(fileResource, undefined);
    const { resource, record } = await this.#record(identifier);
    return view(resource, record);
  }

  /** Registers a resource: clients may ask for tokens meant for it, on every instance within a second. */
  async create(entry: Record<string, unknown>, actor: AdminActor): Promise<AdminResourceView> {
    const resource = valid(entry);
    if (this.#fileResource(resource.identifier)) throw fromFile(resource.identifier);
    if ((await this.deps.store.all()).resources.length >= MAX_RUNTIME_RESOURCES) {
      throw oauthError('conflict', `at most ${MAX_RUNTIME_RESOURCES} resources can be added at runtime`);
    }
    const now = this.#now();
    const record: ResourceRecord = { entry, createdAt: now, updatedAt: now };
    const outcome = await this.deps.store.create(record);
    if (outcome === 'taken') throw oauthError('conflict', `the resource ${resource.identifier} is registered`);
    if (outcome === 'held') throw oauthError('conflict', `${resource.identifier} was deleted moments ago; it is free ${RESOURCE_HOLD_SECONDS} s after`);
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, 'resource_created', resource.identifier);
    return view(resource, record);
  }

  /** Changes fields of a stored resource (not its identifier); the result is validated as a whole. */
  async update(identifier: string, changes: Record<string, unknown>, actor: AdminActor): Promise<AdminResourceView> {
    if ('resource' in changes) throw oauthError('invalid_request', 'the identifier cannot change: register the new one, then delete this one');
    const { record } = await this.#changeable(identifier);
    const entry = { ...record.entry, ...changes };
    // A field set to null is removed: the entry falls back to its default (no name, every scope the client may have…).
    for (const [field, value] of Object.entries(changes)) if (value === null) delete entry[field];
    const resource = valid(entry);
    const updated: ResourceRecord = { ...record, entry, updatedAt: this.#now() };
    if (!(await this.deps.store.replace(updated))) throw noSuchResource();
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, 'resource_updated', identifier);
    return view(resource, updated);
  }

  /** Removes a stored resource: no instance issues a token for it a second later. */
  async delete(identifier: string, actor: AdminActor): Promise<void> {
    await this.#changeable(identifier);
    if (!(await this.deps.store.delete(identifier))) throw noSuchResource();
    await this.deps.sync.refresh();
    auditAdmin(this.deps.audit, actor, 'resource_deleted', identifier);
  }

  #now(): number {
    return Math.floor(this.deps.clock() / 1000);
  }

  #fileResource(identifier: string): ProtectedResource | undefined {
    return this.deps.registry.fileResources().find((resource) => resource.identifier === identifier);
  }

  /** A stored resource an operator may change: 409 for a RESOURCES_FILE one, 404 for none. */
  async #changeable(identifier: string) {
    if (this.#fileResource(identifier)) throw fromFile(identifier);
    return this.#record(identifier);
  }

  async #record(identifier: string): Promise<{ resource: ProtectedResource; record: ResourceRecord }> {
    const found = (await this.#stored()).find((entry) => entry.resource.identifier === identifier);
    if (!found) throw noSuchResource();
    return found;
  }

  /** The stored resources that are valid (one that no longer parses is left out, as ResourceSync leaves it). */
  async #stored(): Promise<Array<{ resource: ProtectedResource; record: ResourceRecord }>> {
    return (await this.deps.store.all()).resources.flatMap((record) => {
      try {
        return [{ resource: resourceFromRecord(record), record }];
      } catch (error) {
        if (error instanceof ResourceEntryError) return [];
        throw error;
      }
    });
  }
}

/** The resource an entry makes; invalid_request saying what is wrong, as RESOURCES_FILE's start-up check would. */
function valid(entry: Record<string, unknown>): ProtectedResource {
  try {
    return parseResourceEntry(entry);
  } catch (error) {
    if (error instanceof ResourceEntryError) throw oauthError('invalid_request', `the resource ${error.message}`);
    throw error;
  }
}

function view(resource: ProtectedResource, record: ResourceRecord | undefined): AdminResourceView {
  return {
    resource: resource.identifier,
    name: resource.name ?? null,
    scopes: resource.scopes === undefined ? null : [...resource.scopes],
    clients: resource.clients === '*' ? '*' : [...resource.clients],
    exchanged_by: [...resource.exchangedBy],
    metadata_url: metadataUrlOf(resource.identifier),
    source: record === undefined ? 'file' : 'store',
    created_at: record?.createdAt ?? null,
    updated_at: record?.updatedAt ?? null,
  };
}

function noSuchResource() {
  return oauthError('not_found', 'no such resource');
}

function fromFile(identifier: string) {
  return oauthError('conflict', `the resource ${identifier} comes from RESOURCES_FILE and is read-only here: change the file and restart`);
}
