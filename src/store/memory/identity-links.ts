import type { IdentityLink, IdentityLinkStore } from '../types.js';

/** The key of an upstream identity: provider and subject, which no subject can forge (the provider id has no NUL). */
function identityKey(providerId: string, subject: string): string {
  return `${providerId}\0${subject}`;
}

/** Linked identities in process memory: each method runs without an await, so each is atomic. */
export class MemoryIdentityLinks implements IdentityLinkStore {
  readonly #links = new Map<string, IdentityLink>();

  async find(providerId: string, subject: string): Promise<string | undefined> {
    return this.#links.get(identityKey(providerId, subject))?.userId;
  }

  async link(link: IdentityLink): Promise<boolean> {
    const key = identityKey(link.providerId, link.subject);
    if (this.#links.has(key)) return false;
    this.#links.set(key, { ...link });
    return true;
  }

  async listForUser(userId: string): Promise<IdentityLink[]> {
    return [...this.#links.values()]
      .filter((link) => link.userId === userId)
      .map((link) => ({ ...link }))
      .sort((a, b) => a.linkedAt - b.linkedAt || a.providerId.localeCompare(b.providerId));
  }

  async unlink(userId: string, providerId: string, subject: string): Promise<boolean> {
    const key = identityKey(providerId, subject);
    if (this.#links.get(key)?.userId !== userId) return false;
    return this.#links.delete(key);
  }

  async clear(userId: string): Promise<void> {
    for (const [key, link] of this.#links) if (link.userId === userId) this.#links.delete(key);
  }
}
