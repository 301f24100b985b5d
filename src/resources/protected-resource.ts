/**
 * A protected resource: an API (or an MCP server) that accepts this service's access tokens, named by its resource
 * identifier (RFC 8707 §2, RFC 9728 §1.2). The entry format of RESOURCES_FILE. A client asks for a token meant for it
 * with the `resource` parameter; the token's `aud` is then its identifier alone.
 */
import { scopeTokens } from '../tokens/scope.js';

/** A protected resource, as validated. */
export interface ProtectedResource {
  /** Its resource identifier: an https URL without fragment (http only on a loopback host, for development). */
  identifier: string;
  /** A name people read (RFC 9728 `resource_name`), on the consent page too. */
  name: string | undefined;
  /**
   * The scopes it accepts (RFC 9728 `scopes_supported`): a token for it carries none other but the OpenID ones, which
   * concern this service. Undefined: whatever the client may have.
   */
  scopes: readonly string[] | undefined;
  /** The clients that may ask for it (`"*"`: every client, dynamically registered ones too); a client that lists it in its own `audience` always may. */
  clients: readonly string[] | '*';
  /**
   * The clients that may exchange a token meant for it for one meant for another resource (RFC 8693): the service
   * behind it, calling onward for the person. Empty: none.
   */
  exchangedBy: readonly string[];
}

/** What is wrong with a resource entry: the message says it. */
export class ResourceEntryError extends Error {}

/** The longest resource identifier (the token request's `resource` parameter is bounded the same). */
export const RESOURCE_IDENTIFIER_MAX_LENGTH = 256;

const KNOWN_FIELDS = new Set(['resource', 'name', 'scopes', 'clients', 'exchanged_by']);

/** Hosts a resource identifier may name over http: a developer's own machine. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a string is a resource identifier this service accepts: an absolute URI without a fragment (RFC 8707 §2),
 * https (RFC 9728 §1.2), or http on a loopback host; no query either, as RFC 8707 §2 advises, so one API has one name.
 */
export function isResourceIdentifier(value: string): boolean {
  if (value.length > RESOURCE_IDENTIFIER_MAX_LENGTH) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (value.includes('#') || value.includes('?') || url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname);
  return url.protocol === 'https:';
}

/** One entry of RESOURCES_FILE, validated. */
export function parseResourceEntry(entry: unknown): ProtectedResource {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ResourceEntryError('must be an object');
  const given = entry as Record<string, unknown>;
  const unknown = Object.keys(given).filter((field) => !KNOWN_FIELDS.has(field));
  if (unknown.length > 0) throw new ResourceEntryError(`has unknown fields: ${unknown.join(', ')}`);
  const { resource, name, scopes, clients, exchanged_by: exchangedBy } = given;
  if (typeof resource !== 'string' || !isResourceIdentifier(resource)) {
    throw new ResourceEntryError('resource must be an https URL without query or fragment (http only on localhost), at most 256 characters');
  }
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 100)) {
    throw new ResourceEntryError('name must be a non-empty string of at most 100 characters');
  }
  const exchangers = exchangedBy === undefined ? [] : clientsOf(exchangedBy);
  if (exchangers === '*') throw new ResourceEntryError('exchanged_by must list client ids');
  return { identifier: resource, name: name as string | undefined, scopes: scopesOf(scopes), clients: clientsOf(clients), exchangedBy: exchangers };
}

function scopesOf(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const tokens = Array.isArray(value) && value.every((scope) => typeof scope === 'string') ? scopeTokens(value.join(' ')) : undefined;
  if (tokens === undefined || tokens.length !== (value as string[]).length || tokens.length === 0) {
    throw new ResourceEntryError('scopes must be a non-empty array of distinct scope tokens (RFC 6749 §3.3)');
  }
  return tokens;
}

function clientsOf(value: unknown): readonly string[] | '*' {
  if (value === undefined) return [];
  if (value === '*') return '*';
  if (!Array.isArray(value) || !value.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 128)) {
    throw new ResourceEntryError('clients must be "*" or an array of client ids');
  }
  return [...new Set(value as string[])];
}

/** The entries of a RESOURCES_FILE, each validated; identifiers unique. A ResourceEntryError names the entry at fault. */
export function parseResources(entries: unknown): ProtectedResource[] {
  if (!Array.isArray(entries)) throw new ResourceEntryError('expected a JSON array of resource entries');
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    let resource: ProtectedResource;
    try {
      resource = parseResourceEntry(entry);
    } catch (error) {
      if (!(error instanceof ResourceEntryError)) throw error;
      throw new ResourceEntryError(`entry ${index} ${error.message}`);
    }
    if (seen.has(resource.identifier)) throw new ResourceEntryError(`entry ${index}: resource ${resource.identifier} appears twice`);
    seen.add(resource.identifier);
    return resource;
  });
}
