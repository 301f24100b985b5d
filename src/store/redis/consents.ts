import type { ConsentRecord, ConsentStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';
import type { RECORD_SCRIPTS } from './lua.js';

/** What this module sends: the plain commands and the record scripts. */
type Client = ScriptClient<typeof RECORD_SCRIPTS>;

/**
 * Consents in Redis: a hash per user, a field per client holding the consent as JSON, and per client a hash of the
 * users who gave one (its index, written first: a consent it does not list would survive the client's deletion).
 * Consents written before the index existed are not in it; ConsentService voids those of a re-created client anyway.
 */
export class RedisConsents implements ConsentStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  get(userId: string, clientId: string): Promise<ConsentRecord | undefined> {
    return this.guard(async () => {
      const value = await this.client.hGet(this.keys.consents(userId), clientId);
      return value == null ? undefined : { clientId, ...(JSON.parse(value) as Omit<ConsentRecord, 'clientId'>) };
    });
  }

  grant(userId: string, consent: ConsentRecord): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.consents(userId);
      const index = this.keys.clientConsents(consent.clientId);
      await this.durable([index], () => this.client.hSet(index, userId, '1'));
      await this.durable([key], () =>
        this.client.hSet(
          key,
          consent.clientId,
          JSON.stringify({ scope: consent.scope, grantedAt: consent.grantedAt, ...(consent.resources === undefined ? {} : { resources: consent.resources }) }),
        ),
      );
    });
  }

  list(userId: string): Promise<ConsentRecord[]> {
    return this.guard(async () => {
      const all = await this.client.hGetAll(this.keys.consents(userId));
      return Object.entries(all)
        .map(([clientId, value]) => ({ clientId, ...(JSON.parse(value) as Omit<ConsentRecord, 'clientId'>) }))
        .sort((a, b) => a.clientId.localeCompare(b.clientId));
    });
  }

  revoke(userId: string, clientId: string): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys.consents(userId);
      const revoked = (await this.durable([key], () => this.client.hDel(key, clientId))) === 1;
      await this.client.hDel(this.keys.clientConsents(clientId), userId);
      return revoked;
    });
  }

  revokeAll(userId: string): Promise<void> {
    return this.guard(async () => {
      const key = this.keys.consents(userId);
      const clientIds = Object.keys(await this.client.hGetAll(key));
      await this.durable([key], () => this.client.del(key));
      // One HDEL per client's index: on a cluster each lives in its own slot.
      await Promise.all(clientIds.map((clientId) => this.client.hDel(this.keys.clientConsents(clientId), userId)));
    });
  }

  forgetClient(clientId: string): Promise<number> {
    return this.guard(async () => {
      const index = this.keys.clientConsents(clientId);
      const userIds = Object.keys(await this.client.hGetAll(index));
      // One HDEL per user's consents: on a cluster each lives in its own slot.
      const forgotten = await Promise.all(
        userIds.map((userId) => this.keys.consents(userId)).map((key) => this.durable([key], () => this.client.hDel(key, clientId))),
      );
      await this.durable([index], () => this.client.del(index));
      return forgotten.reduce((sum, count) => sum + count, 0);
    });
  }
}
