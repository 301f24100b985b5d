import { StoreUnavailableError } from '../errors.js';
import type { Services } from '../services.js';

/**
 * Whether a token is revoked, for the hot path: from this instance's live copy of the lists when it
 * has one, else from the store. When neither can answer, REVOCATION_UNAVAILABLE decides: `reject`
 * (the default) lets the store error through, so the caller answers 503 and never 200; `accept` treats
 * the token as not revoked.
 */
export async function isRevokedFast(token: { jti: string; sid?: string | undefined }, services: Services): Promise<boolean> {
  if (services.revocationCache.live) return services.revocationCache.has(token);
  try {
    return await services.store.revocations.isRevoked(token);
  } catch (error) {
    if (error instanceof StoreUnavailableError && services.config.revocationUnavailable === 'accept') return false;
    throw error;
  }
}
