import { hash } from 'node:crypto';
import type { ReplayStore } from '../types.js';
import type { Durable, Guard, ScriptClient } from './commands.js';
import type { RedisKeys } from './keys.js';

/** Once-only identifiers in Redis: SET NX with the identifier's lifetime, one key each (by its SHA-256), on any instance. */
export class RedisReplays implements ReplayStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: ScriptClient<Record<never, never>>,
    private readonly keys: RedisKeys,
    private readonly durable: Durable,
  ) {}

  firstUse(name: string, ttlSeconds: number): Promise<boolean> {
    // A use a failover lost could be replayed: the write waits for the replicas, as a code's redemption does.
    return this.guard(async () => {
      const key = this.keys.replay(hash('sha256', name, 'base64url'));
      return (await this.durable([key], () => this.client.set(key, '1', { NX: true, EX: Math.max(1, Math.ceil(ttlSeconds)) }))) === 'OK';
    });
  }
}
