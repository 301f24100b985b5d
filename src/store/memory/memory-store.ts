import type { Store } from '../types.js';
import { MemoryClients } from './clients.js';
import { MemoryLoginFailures, MemoryRateLimits } from './limits.js';
import { MemoryRevocations } from './revocations.js';
import { MemorySessions } from './sessions.js';
import { MemoryCodes } from './codes.js';
import { MemoryDeviceAuthorizations } from './device-authorizations.js';
import { MemoryConsents } from './consents.js';
import { MemorySignIns } from './sign-ins.js';
import { MemoryUsers } from './users.js';
import { MemoryEmailLinks } from './email-links.js';
import { MemoryOutbox } from './outbox.js';
import { MemoryKnownBrowsers } from './known-browsers.js';
import { MemoryMfa } from './mfa.js';
import { MemorySecondSteps } from './second-steps.js';
import { MemoryPasskeyChallenges, MemoryPasskeys } from './passkeys.js';
import { MemoryPushedRequests } from './pushed-requests.js';
import { MemoryIdentityLinks } from './identity-links.js';
import { MemoryProviders } from './providers.js';
import { MemoryResources } from './resources.js';
import { MemoryClientDocuments } from './client-documents.js';
import { MemoryClientUses } from './client-uses.js';
import { MemoryReplays } from './replays.js';

const SWEEP_INTERVAL_MS = 60_000;

/** The embedded store: state lives in this process only, is lost on restart and is not shared between instances. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly users: MemoryUsers;
  readonly sessions: MemorySessions;
  readonly revocations: MemoryRevocations;
  readonly rateLimits: MemoryRateLimits;
  readonly loginFailures: MemoryLoginFailures;
  readonly signIns: MemorySignIns;
  readonly codes: MemoryCodes;
  readonly deviceAuthorizations: MemoryDeviceAuthorizations;
  readonly consents: MemoryConsents;
  readonly clients: MemoryClients;
  readonly emailLinks: MemoryEmailLinks;
  readonly outbox: MemoryOutbox;
  readonly knownBrowsers: MemoryKnownBrowsers;
  readonly mfa: MemoryMfa;
  readonly secondSteps: MemorySecondSteps;
  readonly passkeys: MemoryPasskeys;
  readonly passkeyChallenges: MemoryPasskeyChallenges;
  readonly pushedRequests: MemoryPushedRequests;
  readonly identityLinks: MemoryIdentityLinks;
  readonly providers: MemoryProviders;
  readonly resources: MemoryResources;
  readonly clientDocuments: MemoryClientDocuments;
  readonly clientUses: MemoryClientUses;
  readonly replays: MemoryReplays;
  readonly #sweeper: NodeJS.Timeout;

  constructor(clock: () => number = Date.now) {
    this.users = new MemoryUsers();
    this.revocations = new MemoryRevocations(clock);
    this.rateLimits = new MemoryRateLimits(clock);
    this.loginFailures = new MemoryLoginFailures(clock);
    this.sessions = new MemorySessions(this.users, this.revocations, clock);
    this.signIns = new MemorySignIns(clock);
    this.codes = new MemoryCodes(clock);
    this.deviceAuthorizations = new MemoryDeviceAuthorizations(clock);
    this.consents = new MemoryConsents();
    this.clients = new MemoryClients(clock);
    this.emailLinks = new MemoryEmailLinks(clock);
    this.outbox = new MemoryOutbox(clock);
    this.knownBrowsers = new MemoryKnownBrowsers(clock);
    this.mfa = new MemoryMfa(clock);
    this.secondSteps = new MemorySecondSteps(clock);
    this.passkeys = new MemoryPasskeys();
    this.passkeyChallenges = new MemoryPasskeyChallenges(clock);
    this.pushedRequests = new MemoryPushedRequests(clock);
    this.identityLinks = new MemoryIdentityLinks();
    this.providers = new MemoryProviders(clock);
    this.resources = new MemoryResources(clock);
    this.clientDocuments = new MemoryClientDocuments(clock);
    this.clientUses = new MemoryClientUses(clock);
    this.replays = new MemoryReplays(clock);
    this.#sweeper = setInterval(() => {
      this.sessions.sweep();
      this.revocations.sweep();
      this.rateLimits.sweep();
      this.loginFailures.sweep();
      this.signIns.sweep();
      this.codes.sweep();
      this.deviceAuthorizations.sweep();
      this.emailLinks.sweep();
      this.outbox.sweep();
      this.knownBrowsers.sweep();
      this.mfa.sweep();
      this.secondSteps.sweep();
      this.passkeyChallenges.sweep();
      this.pushedRequests.sweep();
      this.clientUses.sweep();
      this.replays.sweep();
    }, SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }
}
