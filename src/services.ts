import type { ClientRegistry } from './clients/registry.js';
import type { Config } from './config.js';
import type { GrantServices } from './grants/grant.js';
import type { KeyRing } from './keys/keyring.js';
import type { Limiter } from './http/rate-limits.js';
import type { RevocationCache } from './revocation/cache.js';
import type { VerifiedTokenCache } from './tokens/verified-cache.js';

/** Everything route handlers use, built once by buildApp. */
export interface Services extends GrantServices {
  config: Config;
  keyring: KeyRing;
  clients: ClientRegistry;
  /** This instance's copy of the revocation lists, fed by the store. */
  revocationCache: RevocationCache;
  /** Remembered verifications of hot-path tokens (forward-auth, introspection). */
  verifiedTokens: VerifiedTokenCache;
  /** Applies a named request limit (a no-op with RATE_LIMIT=off). */
  limit: Limiter;
}
