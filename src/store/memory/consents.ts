import type { ConsentRecord, ConsentStore } from '../types.js';

function copy(consent: ConsentRecord): ConsentRecord {
  return consent.resources === undefined ? { ...consent } : { ...consent, resources: [...consent.resources] };
}

/** Consents in process memory: per user, a map by client id. */
export class MemoryConsents implements ConsentStore {
  readonly #consents = new Map<string, Map<string, ConsentRecord>>();

  async get(userId: string, clientId: string): Promise<ConsentRecord | undefined> {
    const consent = this.#consents.get(userId)?.get(clientId);
    return consent && copy(consent);
  }

  async grant(userId: string, consent: ConsentRecord): Promise<void> {
    const consents = this.#consents.get(userId) ?? new Map<string, ConsentRecord>();
    consents.set(consent.clientId, copy(consent));
    this.#consents.set(userId, consents);
  }

  async list(userId: string): Promise<ConsentRecord[]> {
    return [...(this.#consents.get(userId)?.values() ?? [])].map(copy).sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  async revoke(userId: string, clientId: string): Promise<boolean> {
    return this.#consents.get(userId)?.delete(clientId) ?? false;
  }

  async revokeAll(userId: string): Promise<void> {
    this.#consents.delete(userId);
  }

  async forgetClient(clientId: string): Promise<number> {
    let forgotten = 0;
    for (const consents of this.#consents.values()) if (consents.delete(clientId)) forgotten += 1;
    return forgotten;
  }
}
