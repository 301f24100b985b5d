import type { ClientUseStore } from '../types.js';
import type { Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';

/** When self-registered clients were last used, in Redis: a key per client, expiring when it may be forgotten. */
export class RedisClientUses implements ClientUseStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<Record<never, never>>,
    private readonly keys: RedisKeys,
  ) {}

  touch(clientId: string, ttlSeconds: number): Promise<void> {
    // A mark a failover loses is set again by the client's next use, or costs a client unused that long: no replica wait.
    return this.guard(async () => {
      await this.client.set(this.keys.clientUse(clientId), '1', { EX: ttlSeconds });
    });
  }

  inUse(clientIds: readonly string[]): Promise<Set<string>> {
    // One EXISTS per client: on a cluster the marks spread over every slot. A sweep reads at most CLIENT_REGISTRATION_MAX.
    return this.guard(async () => {
      const found = await Promise.all(clientIds.map(async (clientId) => ((await this.client.exists(this.keys.clientUse(clientId))) === 1 ? [clientId] : [])));
      return new Set(found.flat());
    });
  }
}
