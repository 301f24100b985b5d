import type { AdminServices } from './admin/admin-services.js';
import type { ClientSync } from './clients/client-sync.js';
import type { AuthorizationService } from './authorization/authorization-service.js';
import type { ConsentService } from './authorization/consent-service.js';
import type { SignInService } from './authorization/sign-in-service.js';
import type { ClientRegistry } from './clients/registry.js';
import type { Metrics } from './metrics/metrics.js';
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
  /** Keeps the registry's runtime clients (the admin API's) current on this instance. */
  clientSync: ClientSync;
  /** What operators do through the admin API (and the CLI): users, sessions, clients, keys. */
  admin: AdminServices;
  /** Checks and revocations of access tokens (the denylists), with this instance's live copy of them. */
  revocations: RevocationService;
  /** Resolves while the store answers (readiness); never the store itself: routes reach state through services. */
  pingStore: () => Promise<void>;
  /** Remembered verifications of hot-path tokens (forward-auth, introspection). */
  verifiedTokens: VerifiedTokenCache;
  /** Sign-ins: the browser sessions at this service behind the sign-in cookie. */
  signIns: SignInService;
  /** What people let third-party clients have. */
  consents: ConsentService;
  /** The authorization endpoint's decisions: sign in, consent, or a code. */
  authorization: AuthorizationService;
  /** The Prometheus metrics, when METRICS_PORT is set. */
  metrics: Metrics | undefined;
  /** Applies a named request limit (a no-op with RATE_LIMIT=off). */
  limit: Limiter;
}
