import type { ClientRegistry } from './clients/registry.js';
import type { Config } from './config.js';
import type { GrantServices } from './grants/grant.js';
import type { KeyRing } from './keys/keyring.js';
import type { Limiter } from './http/rate-limits.js';
import type { RevocationService } from './revocation/revocation-service.js';
import type { VerifiedTokenCache } from './tokens/verified-cache.js';

/** Everything route handlers use, built once by buildApp. */
export interface Services extends GrantServices {
  config: Config;
  keyring: KeyRing;
  clients: ClientRegistry;
  /** Checks and revocations of access tokens (the denylists), with this instance's live copy of them. */
  revocations: RevocationService;
  /** Resolves while the store answers (readiness); never the store itself: routes reach state through services. */
  pingStore: () => Promise<void>;
  /** Remembered verifications of hot-path tokens (forward-auth, introspection). */
  verifiedTokens: VerifiedTokenCache;
  /** Applies a named request limit (a no-op with RATE_LIMIT=off). */
  limit: Limiter;
}
