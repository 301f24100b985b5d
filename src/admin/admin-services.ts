import type { AuditLog } from '../audit/audit-log.js';
import type { AccountService } from '../accounts/account-service.js';
import type { AccountMail } from '../accounts/account-mail.js';
import type { MfaService } from '../mfa/mfa-service.js';
import type { FederationService } from '../federation/federation-service.js';
import type { ClientSync } from '../clients/client-sync.js';
import type { ClientRegistry } from '../clients/registry.js';
import type { Config } from '../config.js';
import type { SessionService } from '../sessions/session-service.js';
import type { Store } from '../store/types.js';
import type { UserService } from '../users/user-service.js';
import { ClientAdmin } from './clients.js';
import { KeyAdmin } from './keys.js';
import { UserAdmin } from './users.js';
import { ProviderAdmin } from './providers.js';
import { ResourceAdmin } from './resources.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import type { ResourceSync } from '../resources/resource-sync.js';
import type { ProviderRegistry, ProviderSync } from '../federation/provider-registry.js';
import type { SecretBox } from '../mfa/secret-box.js';

/** What operators can do, independent of HTTP: the admin API's routes and the CLI's commands call these. */
export interface AdminServices {
  users: UserAdmin;
  clients: ClientAdmin;
  providers: ProviderAdmin;
  resources: ResourceAdmin;
  keys: KeyAdmin;
}

/** The parts of the service the admin services work on. */
export interface AdminParts {
  store: Pick<Store, 'users' | 'consents' | 'clients' | 'providers' | 'resources'>;
  registry: ClientRegistry;
  clientSync: ClientSync;
  /** The upstream providers: the registry, its sync, and the box their secrets are sealed in. */
  providers: { registry: ProviderRegistry; sync: ProviderSync; box: SecretBox };
  /** The protected resources: the registry and its sync. */
  resources: { registry: ResourceRegistry; sync: ResourceSync };
  userService: UserService;
  accounts: AccountService;
  accountMail: AccountMail;
  mfa: MfaService;
  federation: FederationService;
  sessions: SessionService;
  audit: AuditLog;
  config: Pick<Config, 'jwksMaxAge' | 'keysReloadInterval' | 'accessTokenTtl' | 'defaultAudience' | 'signingAlg' | 'issuer' | 'profile'>;
  /** KEYS_DIR: the running service's keyring's folder, or the configured one for the CLI. */
  keysDir: string;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Re-reads KEYS_DIR on this instance (the running service's keyring); the CLI has none. */
  reloadKeys?: () => Promise<void>;
}

/** Builds the admin services over the given parts. */
export function createAdminServices(parts: AdminParts): AdminServices {
  const { store, audit, clock, config } = parts;
  return {
    users: new UserAdmin({
      users: store.users,
      userService: parts.userService,
      accounts: parts.accounts,
      accountMail: parts.accountMail,
      mfa: parts.mfa,
      federation: parts.federation,
      sessions: parts.sessions,
      audit,
    }),
    clients: new ClientAdmin({
      store: store.clients,
      consents: store.consents,
      registry: parts.registry,
      sync: parts.clientSync,
      audit,
      defaultAudience: config.defaultAudience,
      profile: config.profile,
      clock,
    }),
    providers: new ProviderAdmin({ store: store.providers, ...parts.providers, audit, issuer: config.issuer, clock }),
    resources: new ResourceAdmin({ store: store.resources, ...parts.resources, audit, clock }),
    keys: new KeyAdmin({
      dir: parts.keysDir,
      times: { jwksMaxAge: config.jwksMaxAge, keysReloadInterval: config.keysReloadInterval, accessTokenTtl: config.accessTokenTtl },
      signingAlg: config.signingAlg,
      audit,
      clock,
      ...(parts.reloadKeys ? { reload: parts.reloadKeys } : {}),
    }),
  };
}
