import type { BaseLogger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { ClientRecord, ClientStore, ClientUseStore, ConsentStore } from '../store/types.js';
import type { ClientSync } from './client-sync.js';

/** How often an instance renews a client's use mark at most, in seconds: a tenth of the idle time, an hour at most. */
const RENEWAL_SECONDS_MAX = 3600;

/** How often each instance looks for expired clients at most, in seconds. */
const SWEEP_SECONDS_MAX = 600;

/** What RegistrationExpiry works with. */
export interface RegistrationExpiryDependencies {
  store: ClientStore;
  uses: ClientUseStore;
  consents: ConsentStore;
  sync: ClientSync;
  audit: AuditLog;
  logger: Pick<BaseLogger, 'error'>;
  /** Seconds a self-registered client may go unused (CLIENT_REGISTRATION_IDLE_TTL). */
  idleTtl: number;
  /** Epoch milliseconds. */
  clock: () => number;
}

/**
 * Self-registered clients (RFC 7591) expire unused: anyone may register one under an open policy, so the ones nobody
 * uses must not pile up to the ceiling. Each use (the client authenticating at the token, revocation or introspection
 * endpoint) renews its mark in the store; a client registered, and changed, longer ago than the idle time whose mark is
 * gone is deleted with the consents given it — at a registration (which would otherwise meet a full store) and every
 * few minutes on each instance.
 */
export class RegistrationExpiry {
  readonly #renewedAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RegistrationExpiryDependencies) {}

  /** Notes a use of a self-registered client: its mark is renewed, at most once in a while per instance. */
  async used(clientId: string): Promise<void> {
    const now = this.deps.clock();
    const renewEvery = Math.min(this.deps.idleTtl / 10, RENEWAL_SECONDS_MAX) * 1000;
    if (now - (this.#renewedAt.get(clientId) ?? -Infinity) < renewEvery) return;
    this.#renewedAt.set(clientId, now);
    await this.deps.uses.touch(clientId, this.deps.idleTtl);
  }

  /** Deletes the self-registered clients unused for the idle time; answers the runtime clients that remain. */
  async sweep(): Promise<ClientRecord[]> {
    const { store, uses, consents, audit, idleTtl } = this.deps;
    const now = Math.floor(this.deps.clock() / 1000);
    const { clients } = await store.all();
    const idle = clients
      .filter((record) => record.registration !== undefined && now - Math.max(record.createdAt, record.updatedAt) >= idleTtl)
      .map((record) => String(record.entry.client_id));
    if (idle.length === 0) return clients;
    const inUse = await uses.inUse(idle);
    const deleted = new Set<string>();
    for (const clientId of idle.filter((id) => !inUse.has(id))) {
      if (!(await store.delete(clientId))) continue;
      await consents.forgetClient(clientId);
      this.#renewedAt.delete(clientId);
      audit.emit({ event: 'client_registration_expired', client_id: clientId });
      deleted.add(clientId);
    }
    if (deleted.size > 0) await this.deps.sync.refresh();
    return clients.filter((record) => !deleted.has(String(record.entry.client_id)));
  }

  /** Sweeps every few minutes until stop(); a failed sweep is logged, and the next one tries again. */
  start(): void {
    const every = Math.min(this.deps.idleTtl / 10, SWEEP_SECONDS_MAX) * 1000;
    this.#timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.deps.logger.error({ err: error }, 'expiring unused registered clients failed'));
    }, every);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
