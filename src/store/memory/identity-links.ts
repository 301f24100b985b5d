import type { IdentityLink, IdentityLinkStore } from '../types.js';

/** The key of an upstream identity: issuer and subject, which no subject can forge (an issuer URL has no NUL). */
function identityKey(issuer: string, subject: string): string {
  return `${issuer}\0${subject}`;
}

/** Linked identities in process memory: each method runs without an await, so each is atomic. */
export class MemoryIdentityLinks implements IdentityLinkStore {
  readonly #links = new Map<string, IdentityLink>();

  async find(issuer: string, subject: string): Promise<string | undefined> {
    return this.#links.get(identityKey(issuer, subject))?.userId;
  }

  async link(link: IdentityLink): Promise<boolean> {
    const key = identityKey(link.issuer, link.subject);
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

  async unlink(userId: string, issuer: string, subject: string): Promise<boolean> {
    const key = identityKey(issuer, subject);
    if (this.#links.get(key)?.userId !== userId) return false;
    return this.#links.delete(key);
  }

  async clear(userId: string): Promise<void> {
    for (const [key, link] of this.#links) if (link.userId === userId) this.#links.delete(key);
  }
}
