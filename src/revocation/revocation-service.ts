import type { Config } from '../config.js';
import { StoreUnavailableError } from '../errors.js';
import type { RevocationStore } from '../store/types.js';
import { denylistTtl } from '@tokensmith/verifier/shared';
import type { RevocationCache } from './cache.js';

/** What a revocation check reads of a token. */
export interface RevocableToken {
  jti: string;
  sid?: string | undefined;
  client_id: string;
  /** Epoch seconds. */
  iat: number;
}

/**
 * Where a check reads revocation, by what the answer must be: `store` (an answer that must be current: the account
 * API, the admin API, introspection), `mirror` (forward-auth: this instance's live copy of the lists, current within
 * the feed's delay, else the store, REVOCATION_UNAVAILABLE deciding when neither answers), or `held` (the fast lane:
 * only what this instance holds, no answer otherwise).
 */
export type RevocationReading = 'store' | 'mirror' | 'held';

/** Whether a token's client is registered now, as it was when it issued the token (ClientRegistry.issuedToCurrent). */
export type ClientCheck = (clientId: string, issuedAt: number) => boolean;

/**
 * The one path to the denylists: checks of a token's jti and sid, and revocation of an access token.
 * (Sessions end through SessionService, whose store step lists the sid in the same atomic step.) A token whose
 * client has been deleted since (the admin API) counts as revoked too.
 */
export class RevocationService {
  constructor(
    private readonly store: RevocationStore,
    /** This instance's copy of the lists, fed by the store. */
    readonly cache: RevocationCache,
    private readonly settings: Pick<Config, 'revocationUnavailable'>,
    private readonly clock: () => number,
    private readonly clientIsCurrent: ClientCheck,
  ) {}

  /**
   * Whether a token's jti or sid is revoked, or its client gone, read as `reading` says. `store` asks the store.
   * `mirror` reads this instance's live copy of the lists when it has one, else the store; when neither can answer,
   * REVOCATION_UNAVAILABLE decides: `reject` (the default) lets the store error through, so the caller answers 503
   * and never 200; `accept` treats the token as not revoked.
   */
  async isRevoked(token: RevocableToken, reading: 'store' | 'mirror'): Promise<boolean> {
    if (reading === 'store') return !this.clientIsCurrent(token.client_id, token.iat) || this.store.isRevoked(token);
    const known = this.isRevokedAsHeld(token);
    if (known !== undefined) return known;
    try {
      return await this.store.isRevoked(token);
    } catch (error) {
      if (error instanceof StoreUnavailableError && this.settings.revocationUnavailable === 'accept') return false;
      throw error;
    }
  }

  /** Whether a token is revoked, read as `held`: from what this instance holds alone (its live copy of the lists); undefined when that cannot say. */
  isRevokedAsHeld(token: RevocableToken): boolean | undefined {
    if (!this.clientIsCurrent(token.client_id, token.iat)) return true;
    return this.cache.live ? this.cache.has(token) : undefined;
  }

  /** Lists an access token's jti as revoked (RFC 7009) until no verifier can accept it any more. */
  revokeAccessToken(token: { jti: string; exp: number }): Promise<void> {
    return this.store.revokeAccessToken(token.jti, denylistTtl(token.exp - Math.floor(this.clock() / 1000)));
  }
}
