import type { Client } from '../clients/client.js';
import type { ConsentRecord, ConsentStore } from '../store/types.js';
import type { SessionService } from '../sessions/session-service.js';
import { scopeList } from '../tokens/scope.js';

/** What a client asks a person for: a scope, and the resource its tokens are meant for when it names one. */
export interface ConsentAsked {
  scope: string;
  resource?: string | undefined;
}

/**
 * Consents: what a person let a third-party client have, remembered per user and client until revoked. A consent
 * counts only for the client it was given to: one given before the client's creation (an earlier client of the same
 * id, deleted since) is void, the rule tokens and sessions follow (ClientRegistry.issuedToCurrent).
 */
export class ConsentService {
  constructor(
    private readonly store: ConsentStore,
    private readonly sessions: SessionService,
    private readonly clock: () => number,
    /** Whether something given to a client at a time (epoch seconds) was given to the client registered now. */
    private readonly clientIsCurrent: (clientId: string, at: number) => boolean = () => true,
  ) {}

  /**
   * Whether the client may have the scope (and the resource, RFC 8707) without asking: a first-party client, or a
   * consent that covers every scope and names the resource. A resource is asked about on its own: a consent given for
   * one API is none for another that takes the same scope names.
   */
  async covers(userId: string, client: Client, asked: ConsentAsked): Promise<boolean> {
    if (client.firstParty) return true;
    const consent = await this.#current(userId, client.clientId);
    if (!consent) return false;
    if (asked.resource !== undefined && !(consent.resources ?? []).includes(asked.resource)) return false;
    const granted = new Set(scopeList(consent.scope));
    return scopeList(asked.scope).every((token) => granted.has(token));
  }

  /** Remembers that the person allowed the client this scope and resource (added to what they allowed the same client before). */
  async grant(userId: string, client: Client, asked: ConsentAsked): Promise<void> {
    const previous = await this.#current(userId, client.clientId);
    const scopes = new Set([...scopeList(previous?.scope ?? ''), ...scopeList(asked.scope)]);
    const resources = new Set([...(previous?.resources ?? []), ...(asked.resource === undefined ? [] : [asked.resource])]);
    await this.store.grant(userId, {
      clientId: client.clientId,
      scope: [...scopes].join(' '),
      ...(resources.size === 0 ? {} : { resources: [...resources] }),
      grantedAt: Math.floor(this.clock() / 1000),
    });
  }

  /** Every consent of a person that still counts (its client registered, and not re-created since). */
  async list(userId: string): Promise<ConsentRecord[]> {
    return (await this.store.list(userId)).filter((consent) => this.clientIsCurrent(consent.clientId, consent.grantedAt));
  }

  async #current(userId: string, clientId: string): Promise<ConsentRecord | undefined> {
    const consent = await this.store.get(userId, clientId);
    return consent && this.clientIsCurrent(clientId, consent.grantedAt) ? consent : undefined;
  }

  /**
   * Withdraws a consent: the client asks again next time, and its sessions of this person end now (refresh refused,
   * access tokens refused wherever sids are checked), so what it was allowed stops with the consent. The consent goes
   * first: a code redemption checks it after starting its session (startUserSession), so none can slip between.
   */
  async withdraw(userId: string, clientId: string): Promise<{ withdrawn: boolean; sessionsEnded: number }> {
    const withdrawn = await this.store.revoke(userId, clientId);
    return { withdrawn, sessionsEnded: await this.sessions.endForClient(userId, clientId) };
  }

  /** Forgets every consent of a person (an account being deleted, whose sessions have ended already). */
  async forgetAll(userId: string): Promise<void> {
    await this.store.revokeAll(userId);
  }
}
