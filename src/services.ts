import { ScheduledKeyRotation } from './admin/scheduled-key-rotation.js';
import { ClientAssertions } from './clients/client-assertion.js';
import { DpopNonces } from './dpop/dpop-nonces.js';
import { ConfigError } from './errors.js';
import { profileAlgorithms, profileProblem } from './clients/security-profile.js';
import { ASSERTION_ALGORITHMS } from './clients/client-keys.js';
import { DPOP_ALGORITHMS } from '@tokensmith/verifier/shared';
import { DpopProofs } from './dpop/dpop-proofs.js';
import { PushedAuthorizationService } from './oidc/pushed-requests.js';
import { ResourceSync } from './resources/resource-sync.js';
import { RegistrationExpiry } from './clients/registration-expiry.js';
import type { FastifyBaseLogger } from 'fastify';
import { AccountMail } from './accounts/account-mail.js';
import { AccountService } from './accounts/account-service.js';
import { Mailer } from './mail/mailer.js';
import { MfaService } from './mfa/mfa-service.js';
import { SecretBox } from './mfa/secret-box.js';
import { ProviderRegistry, ProviderSync } from './federation/provider-registry.js';
import { OpenIdConnectProtocol } from './federation/openid-connect.js';
import { PasskeyService } from './mfa/passkeys.js';
import { FederationService } from './federation/federation-service.js';
import { LoginThrottle } from './users/login-throttle.js';
import { OutboxWorker } from './mail/outbox-worker.js';
import { openMailTransport } from './mail/transport.js';
import { MailTemplates } from './mail/templates.js';
import { createAdminServices, type AdminServices } from './admin/admin-services.js';
import { AuditLog } from './audit/audit-log.js';
import { AuthorizationService } from './oidc/authorization-service.js';
import { CodeService } from './oidc/code-service.js';
import { DeviceAuthorizationService } from './oidc/device-authorization-service.js';
import { ConsentService } from './oidc/consent-service.js';
import { SignInService } from './oidc/sign-in-service.js';
import { ClientAuthenticator } from './clients/client-authenticator.js';
import { ClientSync } from './clients/client-sync.js';
import { ClientRegistration } from './clients/dynamic-registration.js';
import { ClientMetadataDocuments } from './clients/metadata-documents.js';
import type { ClientRegistry } from './clients/registry.js';
import { Metrics } from './metrics/metrics.js';
import type { Config } from './config.js';
import type { GrantServices } from './grants/grant.js';
import type { KeyRing } from './keys/keyring.js';
import type { Limiter } from './http/rate-limits.js';
import { RevocationCache } from './revocation/cache.js';
import { ResourceRegistry } from './resources/resource-registry.js';
import { RevocationService } from './revocation/revocation-service.js';
import { TokenRevocation } from './revocation/token-revocation.js';
import { SessionService } from './sessions/session-service.js';
import type { Store } from './store/types.js';
import { TokenAcceptance } from './tokens/token-acceptance.js';
import { VerifiedTokenCache } from './tokens/verified-cache.js';
import { ConcurrencyLimit } from './users/concurrency-limit.js';
import { createUserService } from './users/user-service.js';

/** Everything the service's routes and its admin API use, built once per app by createServices. */
export interface Services extends GrantServices {
  config: Config;
  keyring: KeyRing;
  clients: ClientRegistry;
  /** Authenticates the client of a token, revocation, introspection or feed request. */
  clientAuthenticator: ClientAuthenticator;
  /** Keeps the registry's runtime clients (the admin API's) current on this instance. */
  clientSync: ClientSync;
  /** Dynamic client registration (RFC 7591) and its management (RFC 7592). */
  clientRegistration: ClientRegistration;
  /** Deletes self-registered clients nobody used for CLIENT_REGISTRATION_IDLE_TTL; every serving instance sweeps. */
  registrationExpiry: RegistrationExpiry;
  /** Clients whose client_id is the URL of their metadata document. */
  clientDocuments: ClientMetadataDocuments;
  /** Keeps the runtime upstream providers (the admin API's) current on this instance. */
  providerSync: ProviderSync;
  /** Keeps the runtime protected resources (the admin API's) current on this instance. */
  resourceSync: ResourceSync;
  /** What operators do through the admin API (and the CLI): users, sessions, clients, keys. */
  admin: AdminServices;
  /** Checks and revocations of access tokens (the denylists), with this instance's live copy of them. */
  revocations: RevocationService;
  /** Resolves while the store answers (readiness); never the store itself: routes reach state through services. */
  pingStore: () => Promise<void>;
  /** RFC 7009 revocation of a presented token by its client, with its audit events. */
  tokenRevocation: TokenRevocation;
  /** The account's use cases (register, sign in, change the password, end sessions, disable, delete), with their audit events. */
  accounts: AccountService;
  /** The account's mails and the links in them: verification, password reset, security notices. */
  accountMail: AccountMail;
  /** Queues mails into the outbox (this instance's OutboxWorker, if it serves, sends them). */
  mailer: Mailer;
  /** Second factors: the authenticator app, recovery codes, and the second step of a sign-in. */
  mfa: MfaService;
  /** Passkeys: adding them to an account, and signing in with one (WebAuthn). */
  passkeys: PasskeyService;
  /** Sign-in through upstream OpenID providers (PROVIDERS_FILE). */
  federation: FederationService;
  /** Sign-ins: the browser sessions at this service behind the sign-in cookie. */
  signIns: SignInService;
  /** What people let third-party clients have. */
  consents: ConsentService;
  /** The authorization endpoint's decisions: sign in, consent, or a code. */
  authorization: AuthorizationService;
  /** Scheduled key rotation (KEY_ROTATION_INTERVAL), run by every serving instance; undefined when off. */
  keyRotation: ScheduledKeyRotation | undefined;
  /** Pushed authorization requests (RFC 9126): kept for the authorization endpoint, spent by their code. */
  pushedRequests: PushedAuthorizationService;
  /** Device authorization requests (RFC 8628): started by a device, answered at /device, collected by its polls. */
  devices: DeviceAuthorizationService;
  /** DPoP proofs (RFC 9449): checked at the token endpoint and forward-auth, each jti used once across instances. */
  dpop: DpopProofs;
  /** The Prometheus metrics, when METRICS_PORT is set. */
  metrics: Metrics | undefined;
  /** Sends the outbox's mails from this instance (every serving instance runs one); undefined with MAIL_TRANSPORT=off. */
  outboxWorker: OutboxWorker | undefined;
}

/** What the route plugins of the public app take: the services, and the request limits registered on that app. */
export interface RouteServices extends Services {
  /** Applies a named request limit (a no-op with RATE_LIMIT=off). */
  limit: Limiter;
}

/** The state, configuration and clock the services work over. */
export interface ServiceParts {
  store: Store;
  clients: ClientRegistry;
  logger: FastifyBaseLogger;
  /** Milliseconds since the epoch; tests move it. */
  clock: () => number;
}

/** The services that need no signing keys and no HTTP: what the CLI uses, and what the app builds on. */
export type DomainServices = Pick<
  Services,
  | 'config'
  | 'clock'
  | 'users'
  | 'accounts'
  | 'sessions'
  | 'codes'
  | 'audit'
  | 'consents'
  | 'signIns'
  | 'clientSync'
  | 'providerSync'
  | 'resourceSync'
  | 'resources'
  | 'clientRegistration'
  | 'registrationExpiry'
  | 'clientDocuments'
  | 'admin'
  | 'accountMail'
  | 'mailer'
  | 'mfa'
  | 'passkeys'
  | 'federation'
>;

/**
 * The one wiring of the domain services (the app's and the CLI's): users, token sessions, sign-ins, consents, codes,
 * the runtime clients' sync and the admin services, over one store and one audit log.
 */
export function createDomainServices(
  config: Config,
  parts: ServiceParts & {
    audit: AuditLog;
    /** KEYS_DIR as the admin key commands see it, and how this instance re-reads it (none in the CLI). */
    keys: { dir: string; reload?: () => Promise<void> };
    /** Bounds concurrent password hashing on a serving instance (the CLI hashes one at a time). */
    hashing?: ConcurrencyLimit;
  },
): DomainServices {
  const { store, clients, clock, audit } = parts;
  const sessions = new SessionService(store.sessions, config, clock, audit, clients.issuedToCurrent);
  const users = createUserService(store, config, clock, parts.hashing);
  const signIns = new SignInService(store.signIns, sessions, config, clock);
  const consents = new ConsentService(store.consents, sessions, clock, clients.issuedToCurrent);
  const mailer = new Mailer(store.outbox, new MailTemplates(config.mail.templatesDir, config.mail.localeFile), config.mail.transport.kind !== 'off', clock);
  const accountMail = new AccountMail({
    users,
    links: store.emailLinks,
    knownBrowsers: store.knownBrowsers,
    mailer,
    counters: store.rateLimits,
    audit,
    config,
    clock,
    onBackgroundError: (error) => parts.logger.error({ err: { message: (error as Error).message } }, 'a reset request failed after its answer'),
  });
  const { loginFailuresPerHour: maxPerHour, loginFreeFailures: freeFailures } = config.rateLimits;
  const passkeys = new PasskeyService({
    store: store.passkeys,
    challenges: store.passkeyChallenges,
    audit,
    clock,
    // MFA=off: no passkey can be added or signed in with.
    relyingParty: config.mfaPolicy === 'off' ? undefined : config.passkeys,
    rpName: config.pages.productName ?? new URL(config.issuer).host,
  });
  const mfa = new MfaService({
    store: store.mfa,
    steps: store.secondSteps,
    throttle: new LoginThrottle(store.loginFailures, { maxPerHour, freeFailures }, clock),
    audit,
    config,
    clock,
    box: new SecretBox(config.mfaSecretKey),
    passkeys,
    notify: (user, what, detail) => accountMail.secondFactor(user, what, detail),
  });
  const providers = new ProviderRegistry(config.providers);
  const providerBox = new SecretBox(config.mfaSecretKey, "a provider's client secret");
  const providerSync = new ProviderSync(store.providers, providers, providerBox, parts.logger);
  const federation = new FederationService({
    providers: () => providers.all(),
    protocol: new OpenIdConnectProtocol(),
    links: store.identityLinks,
    users,
    passkeyCount: passkeys.enabled ? async (userId) => (await store.passkeys.list(userId)).length : undefined,
    notify: (user, what, provider, way) => accountMail.providerLink(user, what, provider, way),
    audit,
    issuer: config.issuer,
    clock,
  });
  const accounts = new AccountService({ users, sessions, signIns, consents, audit, mail: accountMail, mfa, federation, config, clock });
  const clientSync = new ClientSync(store.clients, clients, config.defaultAudience, parts.logger);
  const resources = new ResourceRegistry(config.resources);
  const resourceSync = new ResourceSync(store.resources, resources, parts.logger);
  const registrationExpiry = new RegistrationExpiry({
    store: store.clients,
    uses: store.clientUses,
    consents: store.consents,
    sync: clientSync,
    audit,
    logger: parts.logger,
    idleTtl: config.clientRegistration.idleTtl,
    clock,
  });
  const clientRegistration = new ClientRegistration({
    store: store.clients,
    consents: store.consents,
    sync: clientSync,
    expiry: registrationExpiry,
    resources,
    audit,
    settings: { ...config.clientRegistration, issuer: config.issuer, defaultAudience: config.defaultAudience, profile: config.profile },
    clock,
  });
  const admin = createAdminServices({
    store,
    registry: clients,
    clientSync,
    providers: { registry: providers, sync: providerSync, box: providerBox },
    resources: { registry: resources, sync: resourceSync },
    userService: users,
    accounts,
    accountMail,
    mfa,
    federation,
    sessions,
    audit,
    config,
    clock,
    keysDir: parts.keys.dir,
    ...(parts.keys.reload === undefined ? {} : { reloadKeys: parts.keys.reload }),
  });
  return {
    config,
    clock,
    users,
    sessions,
    codes: new CodeService(store.codes, sessions, audit),
    audit,
    consents,
    accounts,
    accountMail,
    mailer,
    mfa,
    passkeys,
    federation,
    signIns,
    clientSync,
    providerSync,
    resources,
    resourceSync,
    clientRegistration,
    registrationExpiry,
    clientDocuments: new ClientMetadataDocuments({
      store: store.clientDocuments,
      registry: clients,
      resources,
      settings: { ...config.clientMetadataDocuments, issuer: config.issuer, defaultAudience: config.defaultAudience },
      clock,
    }),
    admin,
  };
}

/** Builds every service of a serving instance, once: the domain services, and those that sign and check tokens. */
/** Refuses to start with a CLIENTS_FILE client the security profile cannot serve (PROFILE=fapi2). */
function refuseUnprofiledClients(config: Config, clients: ClientRegistry): void {
  for (const client of clients.fileClients()) {
    const problem = profileProblem(client, config.profile);
    if (problem !== undefined) throw new ConfigError('CLIENTS_FILE', `client "${client.clientId}" ${problem}, as PROFILE=${config.profile} requires`);
  }
}

export function createServices(config: Config, parts: ServiceParts & { keyring: KeyRing }): Services {
  const { store, clients, keyring, clock } = parts;
  refuseUnprofiledClients(config, clients);
  const hashing = new ConcurrencyLimit(config.hashing.maxConcurrent, config.hashing.queueTimeoutMs);
  const revocations = new RevocationService(
    store.revocations,
    new RevocationCache(store.revocations, parts.logger, clock),
    config,
    clock,
    clients.issuedToCurrent,
  );
  const metrics =
    config.metrics &&
    new Metrics({ argon2Queued: () => hashing.queued, revocationFeedLive: () => revocations.cache.live, signingKid: () => keyring.signingKey()?.kid });
  const audit = new AuditLog(parts.logger, config.auditLog, metrics && ((event) => metrics.observeEvent(event)));
  const verifiedTokens = new VerifiedTokenCache(keyring);
  const accessTokens = { keyring, issuer: config.issuer, ttl: config.accessTokenTtl, clock };
  const domain = createDomainServices(config, { ...parts, audit, hashing, keys: { dir: keyring.dir, reload: () => keyring.refresh() } });
  const pushedRequests = new PushedAuthorizationService(store.pushedRequests, { clients, resources: domain.resources });
  const transport = openMailTransport(config.mail, parts.logger);
  const outboxWorker = transport && new OutboxWorker(store.outbox, transport, config.mail, audit, parts.logger, clock);
  if (outboxWorker) domain.mailer.onQueued = () => outboxWorker.kick();
  return {
    ...domain,
    pingStore: () => store.ping(),
    keyring,
    clients,
    authorization: new AuthorizationService(domain.codes, domain.consents, domain.mfa, pushedRequests, config.issuer, clock),
    pushedRequests,
    keyRotation:
      config.keyRotationInterval > 0
        ? new ScheduledKeyRotation({ keys: domain.admin.keys, once: store.replays, interval: config.keyRotationInterval, logger: parts.logger, clock })
        : undefined,
    devices: new DeviceAuthorizationService(store.deviceAuthorizations, { issuer: config.issuer, ...config.deviceAuthorization }, clock, audit),
    revocations,
    metrics,
    outboxWorker,
    verifiedTokens,
    accessTokens,
    clientAuthenticator: new ClientAuthenticator({
      clients,
      clientSync: domain.clientSync,
      documents: domain.clientDocuments,
      expiry: domain.registrationExpiry,
      assertions: new ClientAssertions({
        clients,
        replays: store.replays,
        issuer: config.issuer,
        fetch: { allowLoopback: config.clientMetadataDocuments.allowLoopback, ca: config.clientMetadataDocuments.ca },
        algorithms: profileAlgorithms(config.profile, ASSERTION_ALGORITHMS),
        clock,
      }),
      audit,
      clock,
      profile: config.profile,
    }),
    tokenAcceptance: new TokenAcceptance(revocations, clients),
    dpop: new DpopProofs({
      replays: store.replays,
      nonces: config.dpopNonceKey && new DpopNonces(config.dpopNonceKey, clock),
      algorithms: profileAlgorithms(config.profile, DPOP_ALGORITHMS),
      clock,
    }),
    tokenRevocation: new TokenRevocation({ sessions: domain.sessions, revocations, verifiedTokens, accessTokens, audit }),
  };
}
