import type { RevocationStore } from '../types.js';
import { guarded, type RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';

/** The denylists in Redis: one key per revoked jti or ended sid, each expiring with the tokens it can match. */
export class RedisRevocations implements RevocationStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  revokeAccessToken(jti: string, ttlSeconds: number): Promise<void> {
    return guarded(async () => {
      await this.client.set(this.keys.revokedJti(jti), '1', { EX: Math.max(1, ttlSeconds) });
    });
  }

  isRevoked(token: { jti: string; sid?: string | undefined }): Promise<boolean> {
    const keys = [this.keys.revokedJti(token.jti)];
    if (token.sid !== undefined) keys.push(this.keys.revokedSid(token.sid));
    return guarded(async () => (await this.client.exists(keys)) > 0);
  }
}
