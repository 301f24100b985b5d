import type { BaseLogger } from 'pino';
import { SealError, type SecretBox } from '../mfa/secret-box.js';
import { StoreSync } from '../store/store-sync.js';
import type { ProviderRecord, ProviderStore } from '../store/types.js';
import { parseProviderEntry, ProviderEntryError, type UpstreamProvider } from './provider.js';

/** A runtime provider as the registry holds it, with when it was created and last changed. */
export type StoredProvider = UpstreamProvider & { createdAt: number; updatedAt: number };

/** The associated data a provider's sealed secret is bound to: its id, so a secret copied onto another entry does not open. */
function sealContext(id: string): string {
  return `provider:${id}`;
}

/** A provider entry as stored: its client secret sealed under MFA_SECRET_KEY when one is set. */
export function sealedEntry(entry: Record<string, unknown>, box: SecretBox): Record<string, unknown> {
  return { ...entry, client_secret: box.seal(String(entry.client_secret), sealContext(String(entry.id))) };
}

/** The provider a stored record makes; a ProviderEntryError when it is not a valid entry or its secret does not open. */
export function providerFromRecord(record: ProviderRecord, box: SecretBox): StoredProvider {
  let secret: string;
  try {
    secret = box.open(String(record.entry.client_secret), sealContext(String(record.entry.id)));
  } catch (error) {
    if (error instanceof SealError) throw new ProviderEntryError(error.message);
    throw error;
  }
  // Stored entries carry their secret: an environment variable's name would mean another thing on each instance.
  return { ...parseProviderEntry({ ...record.entry, client_secret: secret }, {}), createdAt: record.createdAt, updatedAt: record.updatedAt };
}

/**
 * The upstream providers this instance offers: PROVIDERS_FILE's, read at start, then the store's (the admin API's),
 * kept current by ProviderSync. A stored provider whose id the file took since is shadowed by the file's.
 */
export class ProviderRegistry {
  #stored: readonly StoredProvider[] = [];
  #all: readonly UpstreamProvider[];

  constructor(private readonly file: readonly UpstreamProvider[]) {
    this.#all = file;
  }

  /** PROVIDERS_FILE's providers (read-only at runtime). */
  fileProviders(): readonly UpstreamProvider[] {
    return this.file;
  }

  /** Every provider offered, the file's first. */
  all(): readonly UpstreamProvider[] {
    return this.#all;
  }

  /** The runtime providers as last read from the store. */
  storedProviders(): readonly StoredProvider[] {
    return this.#stored;
  }

  replaceStoredProviders(providers: readonly StoredProvider[]): void {
    const fileIds = new Set(this.file.map((provider) => provider.id));
    this.#stored = providers.filter((provider) => !fileIds.has(provider.id)).sort((a, b) => a.id.localeCompare(b.id));
    this.#all = [...this.file, ...this.#stored];
  }
}

/** Keeps the registry's runtime providers current on this instance: a change on any instance is offered within a second. */
export class ProviderSync extends StoreSync<ProviderRecord[]> {
  constructor(store: ProviderStore, registry: ProviderRegistry, box: SecretBox, logger: Pick<BaseLogger, 'info' | 'error'>) {
    const read = async () => {
      const { version, providers } = await store.all();
      return { version, records: providers };
    };
    super(
      { version: () => store.version(), read },
      (records) => {
        const valid = records.flatMap((record) => {
          try {
            return [providerFromRecord(record, box)];
          } catch (error) {
            if (!(error instanceof ProviderEntryError)) throw error;
            logger.error({ provider: String(record.entry.id).slice(0, 32), reason: error.message }, 'a stored provider is invalid; it is ignored');
            return [];
          }
        });
        registry.replaceStoredProviders(valid);
      },
      logger,
      'runtime providers',
    );
  }
}
