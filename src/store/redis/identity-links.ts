import { createHash } from 'node:crypto';
import type { IdentityLink, IdentityLinkStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { USER_SCRIPTS } from './users.js';
import { claimFor } from './claims.js';

/** An upstream identity's name in keys and fields: a hash of issuer and subject, whatever characters the subject holds. */
function identityName(issuer: string, subject: string): string {
  return createHash('sha256').update(issuer).update('\0').update(subject).digest('base64url');
}

/**
 * Linked identities in Redis: a claim key per identity (→ the user id), which a sign-in through a provider starts from,
 * and a hash per user (identity name → the link as JSON) in the user's slot, for the account page and operators.
 */
export class RedisIdentityLinks implements IdentityLinkStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<typeof USER_SCRIPTS>,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  find(issuer: string, subject: string): Promise<string | undefined> {
    return this.guard(async () => {
      const owner = await this.client.get(this.keys.identity(identityName(issuer, subject)));
      if (owner === null) return undefined;
      // A claim whose account no longer lists the link (a crash between two writes) links nothing.
      return (await this.#listed(owner, issuer, subject)) ? owner : undefined;
    });
  }

  link(link: IdentityLink): Promise<boolean> {
    return this.guard(async () => {
      // The claim comes first, then the account's list: a half-written link is a stale claim, which the next taker
      // of the identity takes over, never an identity that signs in two accounts.
      const name = identityName(link.issuer, link.subject);
      const holds = (owner: string) => this.#listed(owner, link.issuer, link.subject);
      if (!(await claimFor(this.client, this.durable, this.keys.identity(name), link.userId, holds))) return false;
      const key = this.keys.userIdentities(link.userId);
      const value = JSON.stringify({ providerId: link.providerId, issuer: link.issuer, subject: link.subject, linkedAt: link.linkedAt });
      await this.durable([key], () => this.client.hSet(key, name, value));
      return true;
    });
  }

  listForUser(userId: string): Promise<IdentityLink[]> {
    return this.guard(async () => {
      const hash = await this.client.hGetAll(this.keys.userIdentities(userId));
      return Object.values(hash)
        .map((value) => ({ ...(JSON.parse(value) as Omit<IdentityLink, 'userId'>), userId }))
        .sort((a, b) => a.linkedAt - b.linkedAt || a.providerId.localeCompare(b.providerId));
    });
  }

  unlink(userId: string, issuer: string, subject: string): Promise<boolean> {
    return this.guard(async () => {
      const name = identityName(issuer, subject);
      const key = this.keys.userIdentities(userId);
      const removed = await this.durable([key], () => this.client.hDel(key, name));
      const claim = this.keys.identity(name);
      await this.durable([claim], () => this.client.deleteIfEquals([claim], [userId]));
      return removed > 0;
    });
  }

  clear(userId: string): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.userIdentities(userId);
      const names = Object.keys(await this.client.hGetAll(key));
      await this.durable([key], () => this.client.del(key));
      for (const name of names) {
        const claim = this.keys.identity(name);
        await this.durable([claim], () => this.client.deleteIfEquals([claim], [userId]));
      }
    });
  }

  async #listed(userId: string, issuer: string, subject: string): Promise<boolean> {
    return (await this.client.hGet(this.keys.userIdentities(userId), identityName(issuer, subject))) !== null;
  }
}
