import type { Client } from '../clients/client.js';
import { oauthError } from '../errors.js';
import { grantScope, OPENID_SCOPES } from '../tokens/scope.js';
import type { ProtectedResource } from './protected-resource.js';

/** The path a resource's metadata URL adds after the well-known one: its identifier's path, or nothing for `/`. */
function pathOf(resource: ProtectedResource): string {
  const { pathname } = new URL(resource.identifier);
  return pathname === '/' ? '' : pathname;
}

/** A runtime resource as the registry holds it, with when it was registered and last changed. */
export type StoredResource = ProtectedResource & { createdAt: number; updatedAt: number };

/**
 * The protected resources tokens may be meant for — RESOURCES_FILE's, read at start, then the store's (the admin API's),
 * kept current by ResourceSync; a stored resource whose identifier the file took since is shadowed by the file's — and
 * the rules of RFC 8707 resource indicators: which client may name which resource, and what scope a token for it may carry.
 */
export class ResourceRegistry {
  #stored: readonly StoredResource[] = [];
  #all: readonly ProtectedResource[];
  #byIdentifier: ReadonlyMap<string, ProtectedResource>;

  constructor(private readonly file: readonly ProtectedResource[]) {
    this.#all = file;
    this.#byIdentifier = new Map(file.map((resource) => [resource.identifier, resource]));
  }

  /** RESOURCES_FILE's resources (read-only at runtime). */
  fileResources(): readonly ProtectedResource[] {
    return this.file;
  }

  /** Every registered resource: the file's in its order, then the store's by identifier. */
  all(): readonly ProtectedResource[] {
    return this.#all;
  }

  /** The runtime resources as last read from the store. */
  storedResources(): readonly StoredResource[] {
    return this.#stored;
  }

  /** Takes the store's resources as they are now (ResourceSync). */
  replaceStoredResources(resources: readonly StoredResource[]): void {
    const fileIdentifiers = new Set(this.file.map((resource) => resource.identifier));
    this.#stored = resources.filter((resource) => !fileIdentifiers.has(resource.identifier)).sort((a, b) => a.identifier.localeCompare(b.identifier));
    this.#all = [...this.file, ...this.#stored];
    this.#byIdentifier = new Map(this.#all.map((resource) => [resource.identifier, resource]));
  }

  /** The registered resource of an identifier, if any. */
  get(identifier: string): ProtectedResource | undefined {
    return this.#byIdentifier.get(identifier);
  }

  /**
   * The resource whose metadata a request for `path` (below /.well-known/oauth-protected-resource) on `host` asks for
   * (RFC 9728 §3.1): the one of that path on that host, or the one resource of that path when the gateway in front
   * passed another Host (one API behind one name needs no Host rules).
   */
  forMetadataPath(path: string, host: string): ProtectedResource | undefined {
    const candidates = this.#all.filter((resource) => pathOf(resource) === path);
    return candidates.find((resource) => new URL(resource.identifier).host === host) ?? (candidates.length === 1 ? candidates[0] : undefined);
  }

  /**
   * The resource a client names with `resource` (RFC 8707 §2), when the client may have a token for it: one of the
   * client's own audiences, or a registered resource that lets it ask. Anything else (malformed, unknown, not for
   * this client) is invalid_target, with one description: a caller learns nothing about which resources exist.
   */
  targetFor(client: Client, requested: string): string {
    if (client.audience.includes(requested)) return requested;
    // Only valid identifiers are registered: an exact lookup needs no parsing of what was sent.
    const resource = this.#byIdentifier.get(requested);
    if (resource === undefined || (resource.clients !== '*' && !resource.clients.includes(client.clientId))) {
      throw oauthError('invalid_target', 'the requested resource is unknown or not allowed for this client');
    }
    return requested;
  }

  /**
   * The resource a token request names within what was granted (RFC 8707 §2.2): the grant's own resource, or, when the
   * grant named none, one of the client's own audiences; undefined when it names none. A narrowing, never a widening:
   * invalid_target for anything else, and for a resource the client may no longer ask for (deleted, or the client taken
   * off its `clients` since the grant: no new token for it).
   */
  targetWithin(granted: string | undefined, client: Client, requested: string | undefined): string | undefined {
    const target = requested ?? granted;
    if (requested !== undefined && (granted !== undefined ? requested !== granted : !client.audience.includes(requested))) {
      throw oauthError('invalid_target', 'the requested resource is not within the grant: a token request may narrow the audience, never widen it');
    }
    return target === undefined ? undefined : this.targetFor(client, target);
  }

  /**
   * The scope to grant for a token meant for `target` (when one is named): as grantScope over the client's scopes,
   * but only those the resource accepts, and the OpenID ones; a requested scope beyond them is invalid_scope.
   */
  grantScope(client: Client, target: string | undefined, requested: string | undefined): string {
    return grantScope(this.#allowed(client.scopes, target), requested);
  }

  /** The part of a granted scope that a token for `target` may carry: a refresh that narrows to a resource drops the rest. */
  scopeWithin(target: string | undefined, scope: readonly string[]): readonly string[] {
    return this.#allowed(scope, target);
  }

  #allowed(scopes: readonly string[], target: string | undefined): readonly string[] {
    const accepted = target === undefined ? undefined : this.#byIdentifier.get(target)?.scopes;
    if (accepted === undefined) return scopes;
    return scopes.filter((scope) => accepted.includes(scope) || OPENID_SCOPES.includes(scope));
  }
}
