import type { BaseLogger } from 'pino';
import type {
  AuthorizationCodeStore,
  DeviceAuthorizationStore,
  ClientStore,
  ConsentStore,
  EmailLinkStore,
  KnownBrowserStore,
  MfaStore,
  SecondStepStore,
  PasskeyStore,
  PasskeyChallengeStore,
  PushedRequestStore,
  IdentityLinkStore,
  ProviderStore,
  ResourceStore,
  ClientDocumentStore,
  ClientUseStore,
  ReplayStore,
  MailOutboxStore,
  LoginFailureStore,
  RateLimitStore,
  RevocationStore,
  SessionStore,
  SignInStore,
  Store,
  UserStore,
} from '../types.js';
import { RedisLoginFailures, RedisRateLimits } from './limits.js';
import type { Guard } from './commands.js';
import { makeDurable, makeGuard, type StoreConnection } from './connection.js';
import { redisKeys } from './keys.js';
import { RevocationLog } from './revocation-log.js';
import { RedisRevocations } from './revocations.js';
import { RedisSessions } from './sessions.js';
import { RedisCodes } from './codes.js';
import { RedisDeviceAuthorizations } from './device-authorizations.js';
import { RedisConsents } from './consents.js';
import { RedisSignIns } from './sign-ins.js';
import { RedisUsers } from './users.js';
import { RedisClients } from './clients.js';
import { RedisEmailLinks } from './email-links.js';
import { RedisOutbox } from './outbox.js';
import { RedisKnownBrowsers } from './known-browsers.js';
import { RedisMfa } from './mfa.js';
import { RedisSecondSteps } from './second-steps.js';
import { RedisPasskeyChallenges, RedisPasskeys } from './passkeys.js';
import { RedisPushedRequests } from './pushed-requests.js';
import { RedisIdentityLinks } from './identity-links.js';
import { RedisProviders } from './providers.js';
import { RedisResources } from './resources.js';
import { RedisClientDocuments } from './client-documents.js';
import { RedisClientUses } from './client-uses.js';
import { RedisReplays } from './replays.js';

/** The Redis store: shared by every instance; every key starts with the configured prefix. */
export class RedisStore implements Store {
  readonly kind = 'redis';
  /** What every key of this store starts with (REDIS_KEY_PREFIX). */
  readonly prefix: string;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly revocations: RevocationStore;
  readonly rateLimits: RateLimitStore;
  readonly loginFailures: LoginFailureStore;
  readonly signIns: SignInStore;
  readonly codes: AuthorizationCodeStore;
  readonly deviceAuthorizations: DeviceAuthorizationStore;
  readonly consents: ConsentStore;
  readonly clients: ClientStore;
  readonly emailLinks: EmailLinkStore;
  readonly outbox: MailOutboxStore;
  readonly knownBrowsers: KnownBrowserStore;
  readonly mfa: MfaStore;
  readonly secondSteps: SecondStepStore;
  readonly passkeys: PasskeyStore;
  readonly passkeyChallenges: PasskeyChallengeStore;
  readonly pushedRequests: PushedRequestStore;
  readonly identityLinks: IdentityLinkStore;
  readonly providers: ProviderStore;
  readonly resources: ResourceStore;
  readonly clientDocuments: ClientDocumentStore;
  readonly clientUses: ClientUseStore;
  readonly replays: ReplayStore;
  readonly #connection: StoreConnection;
  readonly #guard: Guard;

  /**
   * Over a connection to any topology (connection.ts). `durability` is how many replicas acknowledge a write before
   * the store answers, and how long it waits for them (REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT; makeDurable).
   */
  constructor(
    connection: StoreConnection,
    prefix: string,
    logger: BaseLogger,
    clock: () => number = Date.now,
    commandTimeoutMs = 2000,
    durability: { replicas: number; timeoutMs: number } = { replicas: 0, timeoutMs: 0 },
  ) {
    this.#connection = connection;
    this.prefix = prefix;
    this.#guard = makeGuard(commandTimeoutMs);
    const clustered = this.#connection.topology === 'cluster';
    const keys = redisKeys(prefix, clustered);
    const client = this.#connection.client;
    const durable = makeDurable(connection, durability.replicas, durability.timeoutMs);
    const log = new RevocationLog(client, keys, clustered, durable);
    this.users = new RedisUsers(this.#guard, client, keys, durable, (pattern) => connection.scan(pattern));
    this.clients = new RedisClients(this.#guard, client, keys, durable);
    this.sessions = new RedisSessions(this.#guard, client, keys, log, clock, clustered, durable, commandTimeoutMs);
    this.revocations = new RedisRevocations(this.#guard, this.#connection, keys, log, logger, durable);
    this.rateLimits = new RedisRateLimits(this.#guard, client, keys);
    this.loginFailures = new RedisLoginFailures(this.#guard, client, keys);
    this.signIns = new RedisSignIns(this.#guard, client, keys, clock, durable);
    this.codes = new RedisCodes(this.#guard, client, keys, durable, commandTimeoutMs);
    this.deviceAuthorizations = new RedisDeviceAuthorizations(this.#guard, client, keys, durable);
    this.consents = new RedisConsents(this.#guard, client, keys, durable);
    this.emailLinks = new RedisEmailLinks(this.#guard, client, keys, durable);
    this.outbox = new RedisOutbox(this.#guard, client, keys, durable);
    this.knownBrowsers = new RedisKnownBrowsers(this.#guard, client, keys, durable, clock);
    this.mfa = new RedisMfa(this.#guard, client, keys, durable);
    this.secondSteps = new RedisSecondSteps(this.#guard, client, keys, durable);
    this.passkeys = new RedisPasskeys(this.#guard, client, keys, durable);
    this.passkeyChallenges = new RedisPasskeyChallenges(this.#guard, client, keys, durable);
    this.pushedRequests = new RedisPushedRequests(this.#guard, client, keys, durable);
    this.identityLinks = new RedisIdentityLinks(this.#guard, client, keys, durable);
    this.providers = new RedisProviders(this.#guard, client, keys, durable);
    this.resources = new RedisResources(this.#guard, client, keys, durable);
    this.clientDocuments = new RedisClientDocuments(this.#guard, client, keys);
    this.clientUses = new RedisClientUses(this.#guard, client, keys);
    this.replays = new RedisReplays(this.#guard, client, keys, durable);
  }

  ping(): Promise<void> {
    return this.#guard(() => this.#connection.ping());
  }

  close(): Promise<void> {
    return this.#connection.close();
  }
}
