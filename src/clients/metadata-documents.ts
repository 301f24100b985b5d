import { oauthError, ServiceError } from '../errors.js';
import { guardedFetch, OutboundError, type FetchedDocument, type GuardedFetchOptions } from '../outbound/guarded-fetch.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import type { ClientDocumentStore } from '../store/types.js';
import type { Client } from './client.js';
import { clientEntryFromMetadata } from './client-metadata.js';
import { EntryError, isDocumentClientId, parseClientEntry, type ClientRegistry } from './registry.js';

/** The largest document read (the draft suggests 5 KB). */
const MAX_DOCUMENT_BYTES = 5120;

/** Milliseconds a fetch may take. */
const FETCH_TIMEOUT_MS = 5000;

/** Seconds a document is kept when its Cache-Control says nothing, and at most whatever it says. */
const DEFAULT_MAX_AGE = 300;
const LONGEST_MAX_AGE = 86_400;

/** Seconds an instance trusts what it read from the shared cache before it reads it again. */
const LOCAL_FRESHNESS = 60;

/** Fields a client ID metadata document must not carry: it is public, so it can hold no shared secret. */
const SECRET_FIELDS = ['client_secret', 'client_secret_expires_at'];

/** How the service reads client ID metadata documents. */
export interface MetadataDocumentSettings {
  /** Whether a client_id that is an https URL is read as a client ID metadata document (CLIENT_ID_METADATA_DOCUMENTS). */
  enabled: boolean;
  /** Whether documents on loopback addresses are read (development only); private and link-local ones never are. */
  allowLoopback: boolean;
  /** Extra certificate authorities trusted for the documents' hosts (PEM). */
  ca: Buffer | undefined;
  issuer: string;
  defaultAudience: string;
}

/** What reading documents works with. */
export interface MetadataDocumentDependencies {
  store: ClientDocumentStore;
  registry: ClientRegistry;
  resources: ResourceRegistry;
  settings: MetadataDocumentSettings;
  /** Epoch milliseconds. */
  clock: () => number;
  /** The guarded fetch (a test may count calls through it). */
  fetch?: (url: string, options: GuardedFetchOptions) => Promise<FetchedDocument>;
}

/** Why a document did not make a client: invalid_client, saying what (never the document itself). */
function unusable(description: string): ServiceError {
  return oauthError('invalid_client', `the client's metadata document ${description}`);
}

/**
 * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document, which the MCP authorization
 * specification recommends): a client_id that is an https URL names a JSON document of client metadata at that URL.
 * The service reads it through the server-side request forgery guard (guardedFetch), keeps it in the store for as long
 * as its Cache-Control allows (one fetch per period for every instance), and makes a public, third-party client of it
 * by the same rules as a dynamic registration (clientEntryFromMetadata).
 */
export class ClientMetadataDocuments {
  /** When each document client this instance made was last read (epoch ms), to read it again after LOCAL_FRESHNESS. */
  readonly #readAt = new Map<string, number>();

  constructor(private readonly deps: MetadataDocumentDependencies) {}

  /** Whether the service reads client ID metadata documents (discovery says so). */
  get enabled(): boolean {
    return this.deps.settings.enabled;
  }

  /**
   * The client a document client_id names, read (or re-read when stale) and kept in the registry; undefined for a
   * client_id that is no document URL, or while documents are off. invalid_client when the document cannot make one.
   */
  async resolve(clientId: string): Promise<Client | undefined> {
    if (!this.deps.settings.enabled || !isDocumentClientId(clientId)) return undefined;
    const known = this.deps.registry.get(clientId);
    const readAt = this.#readAt.get(clientId);
    if (known !== undefined && readAt !== undefined && this.deps.clock() - readAt < LOCAL_FRESHNESS * 1000) return known;
    const cached = await this.deps.store.get(clientId);
    const document = cached ?? (await this.#fetch(clientId));
    const client = this.#client(clientId, document);
    this.deps.registry.rememberDocumentClient(client);
    this.#readAt.set(clientId, this.deps.clock());
    if (this.#readAt.size > 2000) this.#readAt.delete(this.#readAt.keys().next().value!);
    return client;
  }

  /** Fetches a document through the guard and keeps it in the store for its max-age; answers its JSON text. */
  async #fetch(url: string): Promise<string> {
    const { allowLoopback, ca } = this.deps.settings;
    let fetched: FetchedDocument;
    try {
      fetched = await (this.deps.fetch ?? guardedFetch)(url, { allowLoopback, ca, maxBytes: MAX_DOCUMENT_BYTES, timeoutMs: FETCH_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof OutboundError) throw unusable(`could not be read: ${error.message}`);
      throw error;
    }
    if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(fetched.contentType)) throw unusable('is not JSON (its Content-Type)');
    const text = fetched.body.toString('utf8');
    const keep = Math.min(fetched.maxAge ?? DEFAULT_MAX_AGE, LONGEST_MAX_AGE);
    // RFC 9111: no-store and no-cache keep nothing; the document is read again next time.
    if (keep > 0) await this.deps.store.put(url, text, keep);
    return text;
  }

  /**
   * The client a document makes: its client_id must be its own URL, no secret in it, and the rest as a registration's;
   * with `jwks` or `jwks_uri` and private_key_jwt (RFC 7523) it is a confidential client that authenticates with them.
   */
  #client(url: string, text: string): Client {
    let metadata: unknown;
    try {
      metadata = JSON.parse(text);
    } catch {
      throw unusable('is not valid JSON');
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw unusable('is not a JSON object');
    const given = metadata as Record<string, unknown>;
    if (given.client_id !== url) throw unusable('names another client_id than its own URL');
    if (SECRET_FIELDS.some((field) => field in given)) throw unusable('holds a client secret, which a public document cannot');
    const { issuer, defaultAudience } = this.deps.settings;
    try {
      // A document is public, so it holds no secret; its client may still prove itself with its keys (private_key_jwt).
      const { entry } = clientEntryFromMetadata(given, { mayHoldSecrets: false, mayUseKeys: true, issuer, resources: this.deps.resources });
      return parseClientEntry({ client_id: url, ...entry }, defaultAudience, 'document');
    } catch (error) {
      if (error instanceof ServiceError) throw unusable(`is refused: ${error.message}`);
      if (error instanceof EntryError) throw unusable(`is refused: the client ${error.message}`);
      throw error;
    }
  }
}
