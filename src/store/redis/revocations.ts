import type { BaseLogger } from 'pino';
import type { RevocationEntry, RevocationListener, RevocationStore } from '../types.js';
import type { Guard, RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';
import { luaScript } from './lua.js';
import { RECORD_REVOCATION } from './revocation-lua.js';

// KEYS: the revoked-jti entry, the revocation log. ARGV: revocation channel, jti, TTL s.
const REVOKE_JTI = luaScript(`${RECORD_REVOCATION}
record_revocation(KEYS[1], KEYS[2], ARGV[1], 'jti:' .. ARGV[2], ARGV[3])
return 1`);

/** The revocation scripts, by the name the Redis client gives each. */
export const REVOCATION_SCRIPTS = { revokeJti: REVOKE_JTI };

/** Parses `kind:id:exp`, the form of a log member with its score and of a published message. */
export function parseRevocation(kindAndId: string, exp: number): RevocationEntry | undefined {
  const colon = kindAndId.indexOf(':');
  const kind = kindAndId.slice(0, colon);
  if ((kind !== 'jti' && kind !== 'sid') || !Number.isFinite(exp)) return undefined;
  return { kind, id: kindAndId.slice(colon + 1), exp };
}

function parseMessage(message: string): RevocationEntry | undefined {
  const last = message.lastIndexOf(':');
  return parseRevocation(message.slice(0, last), Number(message.slice(last + 1)));
}

/**
 * The denylists in Redis: one key per revoked jti or ended sid (expiring with the tokens it can match),
 * a log of live entries sorted by expiry, and a pub/sub channel for instances that keep them in memory.
 */
export class RedisRevocations implements RevocationStore {
  constructor(
    private readonly guard: Guard,
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly logger: BaseLogger,
  ) {}

  revokeAccessToken(jti: string, ttlSeconds: number): Promise<void> {
    return this.guard(async () => {
      await this.client.revokeJti(
        [this.keys.revokedJti(jti), this.keys.revocationLog()],
        [this.keys.revocationChannel(), jti, String(Math.max(1, Math.ceil(ttlSeconds)))],
      );
    });
  }

  isRevoked(token: { jti: string; sid?: string | undefined }): Promise<boolean> {
    const keys = [this.keys.revokedJti(token.jti)];
    if (token.sid !== undefined) keys.push(this.keys.revokedSid(token.sid));
    return this.guard(async () => (await this.client.exists(keys)) > 0);
  }

  snapshot(): Promise<RevocationEntry[]> {
    return this.guard(async () => {
      const now = Math.floor(Date.now() / 1000);
      const members = await this.client.zRangeByScoreWithScores(this.keys.revocationLog(), now + 1, '+inf');
      return members.map((member) => parseRevocation(member.value, member.score)).filter((entry): entry is RevocationEntry => entry !== undefined);
    });
  }

  async subscribe(listener: RevocationListener): Promise<() => Promise<void>> {
    // Pub/sub needs a connection of its own; node-redis resubscribes it after a reconnect.
    const subscriber = this.client.duplicate();
    let receiving = false;
    const down = () => {
      if (!receiving) return;
      receiving = false;
      listener.down();
    };
    subscriber.on('error', (error: Error) => {
      this.logger.warn({ err: error.message }, 'revocation feed subscription lost');
      down();
    });
    subscriber.on('end', down);
    subscriber.on('reconnecting', down);
    subscriber.on('ready', () => {
      // The first 'ready' comes before the SUBSCRIBE below has been sent; later ones follow a reconnect and resubscription.
      if (!receiving && subscriber.isReady && subscribed) {
        receiving = true;
        listener.up();
      }
    });
    let subscribed = false;
    await this.guard(async () => {
      await subscriber.connect();
      await subscriber.subscribe(this.keys.revocationChannel(), (message: string) => {
        const entry = parseMessage(message);
        if (entry) listener.entry(entry);
      });
    });
    subscribed = true;
    receiving = true;
    listener.up();
    return async () => {
      receiving = false;
      if (subscriber.isOpen) await subscriber.close();
    };
  }
}
