import { randomBytes } from 'node:crypto';
import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import { ServiceError } from '../errors.js';
import type { IdentityLinkStore, UserRecord } from '../store/types.js';
import { normalizeUsername } from '../users/credentials.js';
import { NO_PASSWORD, type UserService } from '../users/user-service.js';
import { claimAt, type UpstreamProvider } from './provider.js';
import type { CallbackChecks, FederationFailure, UpstreamProtocol } from './upstream-protocol.js';

export type { FederationFailure } from './upstream-protocol.js';

/** What a sign-in through a provider keeps in the browser until the provider sends it back (a cookie of its own). */
export interface PendingFederation extends CallbackChecks {
  providerId: string;
  /** Where the sign-in continues (an authorization request on this service), if anywhere. */
  returnTo: string | undefined;
  /** Set when a signed-in person links the identity to their account: theirs, and the sign-in they started it from. */
  link?: { userId: string; signInId: string };
}

/** What the upstream said of the person: its subject, and the mapped claims. */
export interface UpstreamIdentity {
  providerId: string;
  /** The provider's issuer: with the subject, the identity (OpenID Connect Core §2). */
  issuer: string;
  subject: string;
  username: string | undefined;
  email: string | undefined;
  emailVerified: boolean;
}

/** What linking an identity to a signed-in account came to. */
export type LinkOutcome = 'linked' | 'already_linked' | 'linked_elsewhere' | 'provider_linked';

/** What unlinking a provider from an account came to: `last_way` when nothing else would sign the account in. */
export type UnlinkOutcome = 'unlinked' | 'last_way' | 'not_linked';

/** A provider linked to an account, as its owner and operators see it (never the upstream subject's claims). */
export interface LinkedProvider {
  providerId: string;
  /** The provider's name, or its id when it is no longer configured. */
  name: string;
  /** Whether the provider is still configured (a removed one signs nothing in, and its link can only be removed). */
  offered: boolean;
  /** The provider's `sub` for the person (for operators; the account page does not show it). */
  subject: string;
  /** Epoch seconds. */
  linkedAt: number;
}

/**
 * Sign-in through upstream providers: a round trip to the provider (its protocol: OpenID Connect on openid-client),
 * the upstream identity it vouches for (the claim mapping), and what that identity is here: the account it is linked
 * to, one made just in time, or a link an account's owner asked for; never an account found by email. Independent of
 * HTTP.
 */
export class FederationService {
  constructor(
    private readonly deps: {
      providers: () => readonly UpstreamProvider[];
      /** How to speak to the providers (OpenID Connect). */
      protocol: UpstreamProtocol;
      links: IdentityLinkStore;
      users: Pick<UserService, 'create' | 'delete' | 'findActive' | 'markEmailVerified'>;
      /** How many passkeys an account has, when passkeys sign in here (they are another way to sign in). */
      passkeyCount: ((userId: string) => Promise<number>) | undefined;
      /** Tells the owner a provider was linked or unlinked (mail). */
      notify: (user: UserRecord, what: 'provider_linked' | 'provider_unlinked', provider: string, way: 'by_owner' | 'by_operator') => Promise<void>;
      audit: AuditLog;
      /** This service's issuer: callbacks are `<issuer>/login/<id>/callback`. */
      issuer: string;
      /** Epoch milliseconds. */
      clock: () => number;
    },
  ) {}

  /** The providers offered now. */
  providers(): readonly UpstreamProvider[] {
    return this.deps.providers();
  }

  /** The provider with this id, if configured. */
  provider(id: string): UpstreamProvider | undefined {
    return this.deps.providers().find((provider) => provider.id === id);
  }

  /** The callback URL to register at the provider. */
  callbackUrl(providerId: string): string {
    return `${this.deps.issuer}/login/${providerId}/callback`;
  }

  /** Starts a sign-in through a provider: the URL to send the browser to, and what to keep for the callback. */
  async begin(provider: UpstreamProvider, returnTo: string | undefined, link?: PendingFederation['link']): Promise<{ url: URL; pending: PendingFederation }> {
    const { url, checks } = await this.deps.protocol.begin(provider, this.callbackUrl(provider.id));
    return { url, pending: { providerId: provider.id, ...checks, returnTo, ...(link === undefined ? {} : { link }) } };
  }

  /** Completes a sign-in with the provider's callback: the person's upstream identity, or why not. */
  async complete(
    provider: UpstreamProvider,
    callback: URL,
    pending: PendingFederation,
  ): Promise<{ ok: true; identity: UpstreamIdentity } | { ok: false; reason: FederationFailure }> {
    const answer = await this.deps.protocol.complete(provider, callback, pending);
    if (!answer.ok) return answer;
    const { claims } = answer;
    const username = claimAt(claims, provider.claims.username);
    const email = claimAt(claims, provider.claims.email);
    return {
      ok: true,
      identity: {
        providerId: provider.id,
        issuer: provider.issuer,
        subject: String(claims.sub),
        username: typeof username === 'string' ? username : undefined,
        email: typeof email === 'string' ? email : undefined,
        emailVerified: claimAt(claims, provider.claims.emailVerified) === true,
      },
    };
  }

  /** The account an identity signs in, if it is linked. */
  linkedAccount(identity: UpstreamIdentity): Promise<string | undefined> {
    return this.deps.links.find(identity.issuer, identity.subject);
  }

  /** Links an identity to an account; false when another sign-in linked it first. */
  #link(identity: UpstreamIdentity, userId: string): Promise<boolean> {
    const { providerId, issuer, subject } = identity;
    return this.deps.links.link({ providerId, issuer, subject, userId, linkedAt: Math.floor(this.deps.clock() / 1000) });
  }

  /**
   * The account an upstream identity signs in: the linked one (if active; a disabled one signs in nothing), else a new
   * one made just in time and linked to it (user_registered), unless the provider creates no accounts (`not_linked`).
   * Never an account found by a matching email: that is how an attacker who registered a victim's address at a
   * provider, or here, would take the victim's account over (account pre-hijacking).
   */
  async accountFor(
    identity: UpstreamIdentity,
    context: AuditContext,
  ): Promise<{ ok: true; user: UserRecord } | { ok: false; reason: 'not_linked' | 'disabled' }> {
    const linked = await this.linkedAccount(identity);
    if (linked !== undefined) return this.#active(linked);
    const provider = this.provider(identity.providerId);
    if (provider?.createAccounts === false) return { ok: false, reason: 'not_linked' };
    // A trusted, verified address comes along while no account here has it; an account that has it is never joined.
    const address = provider?.trustEmail === true && identity.emailVerified ? identity.email : undefined;
    for (const username of usernameCandidates(identity)) {
      const user = await this.#newAccount(username, address);
      if (user === undefined) continue;
      if (await this.#link(identity, user.id)) {
        this.deps.audit.emit({ event: 'user_registered', username: user.username, ...context, user_id: user.id });
        return { ok: true, user };
      }
      // Another sign-in linked the identity first: this account was made for nothing, and goes.
      await this.deps.users.delete(user.id);
      const winner = await this.linkedAccount(identity);
      return winner === undefined ? { ok: false, reason: 'disabled' } : this.#active(winner);
    }
    return { ok: false, reason: 'disabled' };
  }

  /**
   * A new account without a password (it signs in through the provider) under this username, with the address verified
   * when one is given and free (else without one); undefined when the username is taken.
   */
  async #newAccount(username: string, address: string | undefined): Promise<UserRecord | undefined> {
    try {
      const user = await this.deps.users.create(username, undefined, address);
      if (user.email) await this.deps.users.markEmailVerified(user.id, user.email.key);
      return user.email ? { ...user, email: { ...user.email, verified: true } } : user;
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      if (error.code === 'username_taken') return undefined;
      // Another account's address (or none the service accepts): the new account goes without one.
      if (address !== undefined && (error.code === 'email_taken' || error.code === 'invalid_request')) return this.#newAccount(username, undefined);
      throw error;
    }
  }

  async #active(userId: string): Promise<{ ok: true; user: UserRecord } | { ok: false; reason: 'disabled' }> {
    const user = await this.deps.users.findActive(userId);
    return user ? { ok: true, user } : { ok: false, reason: 'disabled' };
  }

  /**
   * Links an identity to an account its owner proved in this browser (the caller checks that): refused when the
   * identity signs another account in, or the account has another identity at this provider already.
   */
  async linkTo(identity: UpstreamIdentity, user: UserRecord, context: AuditContext): Promise<LinkOutcome> {
    const owner = await this.linkedAccount(identity);
    if (owner === user.id) return 'already_linked';
    if (owner !== undefined) return 'linked_elsewhere';
    if ((await this.deps.links.listForUser(user.id)).some((link) => link.providerId === identity.providerId)) return 'provider_linked';
    if (!(await this.#link(identity, user.id))) return 'linked_elsewhere';
    this.deps.audit.emit({ event: 'identity_linked', provider: identity.providerId, ...context, user_id: user.id });
    await this.deps.notify(user, 'provider_linked', this.#nameOf(identity.providerId), 'by_owner');
    return 'linked';
  }

  /** The providers linked to an account, oldest first. */
  async linksOf(userId: string): Promise<LinkedProvider[]> {
    return (await this.deps.links.listForUser(userId)).map((link) => {
      const provider = this.provider(link.providerId);
      const offered = provider?.issuer === link.issuer;
      return { providerId: link.providerId, name: provider?.name ?? link.providerId, offered, subject: link.subject, linkedAt: link.linkedAt };
    });
  }

  /**
   * Unlinks a provider from an account. Its owner cannot unlink the last way the account signs in (no password, no
   * passkey, no other provider): `last_way`. An operator can (`by_operator`), to cut off a compromised upstream
   * identity. Answers the outcome and the provider's name, as the owner knows it.
   */
  async unlink(
    user: UserRecord,
    providerId: string,
    context: AuditContext,
    way: 'by_owner' | 'by_operator',
  ): Promise<{ outcome: UnlinkOutcome; name: string }> {
    const name = this.#nameOf(providerId);
    const links = await this.deps.links.listForUser(user.id);
    const target = links.find((link) => link.providerId === providerId);
    if (target === undefined) return { outcome: 'not_linked', name };
    if (way === 'by_owner' && links.length === 1 && !(await this.#otherWayIn(user))) return { outcome: 'last_way', name };
    if (!(await this.deps.links.unlink(user.id, target.issuer, target.subject))) return { outcome: 'not_linked', name };
    this.deps.audit.emit({ event: 'identity_unlinked', provider: providerId, ...context, user_id: user.id });
    await this.deps.notify(user, 'provider_unlinked', name, way);
    return { outcome: 'unlinked', name };
  }

  /** Whether an account signs in without any provider: a password, or a passkey where passkeys sign in. */
  async #otherWayIn(user: UserRecord): Promise<boolean> {
    if (user.passwordHash !== NO_PASSWORD) return true;
    return this.deps.passkeyCount !== undefined && (await this.deps.passkeyCount(user.id)) > 0;
  }

  #nameOf(providerId: string): string {
    return this.provider(providerId)?.name ?? providerId;
  }

  /** Forgets a deleted account's links. */
  forget(userId: string): Promise<void> {
    return this.deps.links.clear(userId);
  }

  /**
   * Where a browser sent to the providers lands: each one's authorization endpoint origin. A page whose form leads to a
   * provider lists them in its CSP form-action (Chromium applies it to the redirects that follow a POST).
   */
  authorizationOrigins(): string[] {
    return [...new Set(this.providers().map((provider) => this.deps.protocol.authorizationOrigin(provider)))];
  }
}

/** A username for a new account from what the provider calls the person, unique here: the name as given, or with a suffix. */
function usernameCandidates(identity: UpstreamIdentity): string[] {
  const given = (identity.username ?? identity.email?.split('@')[0] ?? '')
    .normalize('NFKC')
    .replace(/[^\p{L}\p{M}\p{N}._@+-]+/gu, '-')
    .slice(0, 48);
  const base = normalizeUsername(given) ? given : identity.providerId;
  const suffixed = () => `${base}-${randomBytes(3).toString('hex')}`;
  return [...(normalizeUsername(given) ? [given] : []), suffixed(), suffixed()];
}
