import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import { ServiceError } from '../errors.js';
import type { IdentityLinkStore, UserRecord } from '../store/types.js';
import { normalizeUsername } from '../users/credentials.js';
import type { UserService } from '../users/user-service.js';
import { claimAt, type UpstreamProvider } from './provider.js';

/** Seconds an upstream must answer in (discovery, the token endpoint, userinfo). */
const UPSTREAM_TIMEOUT = 10;

/** What a sign-in through a provider keeps in the browser until the provider sends it back (a cookie of its own). */
export interface PendingFederation {
  providerId: string;
  /** PKCE (RFC 7636), state and nonce: the checks of the callback. */
  codeVerifier: string;
  state: string;
  nonce: string;
  /** Where the sign-in continues (an authorization request on this service), if anywhere. */
  returnTo: string | undefined;
}

/** What the upstream said of the person: its subject, and the mapped claims. */
export interface UpstreamIdentity {
  providerId: string;
  subject: string;
  username: string | undefined;
  email: string | undefined;
  emailVerified: boolean;
}

/** Why a callback was refused: the person or the provider said no, a check failed, or the provider was unreachable. */
export type FederationFailure = 'denied' | 'invalid' | 'unavailable';

/**
 * The relying-party half of sign-in through upstream OpenID providers, on openid-client (which speaks the protocol:
 * discovery, the authorization code grant with PKCE S256, state, nonce, the RFC 9207 `iss` check when the provider
 * advertises it, ID token validation, userinfo). Independent of HTTP; what becomes of an identity is the caller's.
 */
export class FederationService {
  readonly #configurations = new Map<string, Promise<oidc.Configuration>>();

  constructor(
    private readonly deps: {
      providers: () => readonly UpstreamProvider[];
      links: IdentityLinkStore;
      users: Pick<UserService, 'create' | 'delete' | 'findActive'>;
      audit: AuditLog;
      /** This service's issuer: callbacks are `<issuer>/login/<id>/callback`. */
      issuer: string;
    },
  ) {}

  /** The provider with this id, if configured. */
  provider(id: string): UpstreamProvider | undefined {
    return this.deps.providers().find((provider) => provider.id === id);
  }

  /** The callback URL to register at the provider. */
  callbackUrl(providerId: string): string {
    return `${this.deps.issuer}/login/${providerId}/callback`;
  }

  /** Starts a sign-in through a provider: the URL to send the browser to, and what to keep for the callback. */
  async begin(provider: UpstreamProvider, returnTo: string | undefined): Promise<{ url: URL; pending: PendingFederation }> {
    const configuration = await this.#configuration(provider);
    const pending: PendingFederation = {
      providerId: provider.id,
      codeVerifier: oidc.randomPKCECodeVerifier(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      returnTo,
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.callbackUrl(provider.id),
      scope: provider.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /** Completes a sign-in with the provider's callback: the person's upstream identity, or why not. */
  async complete(
    provider: UpstreamProvider,
    callback: URL,
    pending: PendingFederation,
  ): Promise<{ ok: true; identity: UpstreamIdentity } | { ok: false; reason: FederationFailure }> {
    if (callback.searchParams.get('error') === 'access_denied') return { ok: false, reason: 'denied' };
    let claims: Record<string, unknown>;
    try {
      const configuration = await this.#configuration(provider);
      const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      if (provider.userinfo) {
        const info = await oidc.fetchUserInfo(configuration, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (error) {
      return { ok: false, reason: isUnreachable(error) ? 'unavailable' : 'invalid' };
    }
    const subject = claims.sub;
    if (typeof subject !== 'string' || subject === '') return { ok: false, reason: 'invalid' };
    const username = claimAt(claims, provider.claims.username);
    const email = claimAt(claims, provider.claims.email);
    return {
      ok: true,
      identity: {
        providerId: provider.id,
        subject,
        username: typeof username === 'string' ? username : undefined,
        email: typeof email === 'string' ? email : undefined,
        emailVerified: claimAt(claims, provider.claims.emailVerified) === true,
      },
    };
  }

  /** The account an identity signs in, if it is linked. */
  linkedAccount(identity: UpstreamIdentity): Promise<string | undefined> {
    return this.deps.links.find(identity.providerId, identity.subject);
  }

  /** Links an identity to an account; false when another sign-in linked it first. */
  link(identity: UpstreamIdentity, userId: string): Promise<boolean> {
    return this.deps.links.link({ providerId: identity.providerId, subject: identity.subject, userId, linkedAt: Math.floor(Date.now() / 1000) });
  }

  /**
   * The account an upstream identity signs in: the linked one (if active; a disabled one signs in nothing), else a new
   * one made just in time and linked to it (user_registered). Never an account found by a matching email.
   */
  async accountFor(identity: UpstreamIdentity, context: AuditContext): Promise<UserRecord | undefined> {
    const linked = await this.linkedAccount(identity);
    if (linked !== undefined) return this.deps.users.findActive(linked);
    for (const username of usernameCandidates(identity)) {
      let user: UserRecord;
      try {
        // No password: the account signs in through the provider.
        user = await this.deps.users.create(username, undefined);
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'username_taken') continue;
        throw error;
      }
      if (await this.link(identity, user.id)) {
        this.deps.audit.emit({ event: 'user_registered', username: user.username, ...context, user_id: user.id });
        return user;
      }
      // Another sign-in linked the identity first: this account was made for nothing, and goes.
      await this.deps.users.delete(user.id);
      const winner = await this.linkedAccount(identity);
      return winner === undefined ? undefined : this.deps.users.findActive(winner);
    }
    return undefined;
  }

  /** Forgets a deleted account's links. */
  forget(userId: string): Promise<void> {
    return this.deps.links.clear(userId);
  }

  /** The provider's metadata through discovery, once per provider (a failure is retried at the next sign-in). */
  #configuration(provider: UpstreamProvider): Promise<oidc.Configuration> {
    let configuration = this.#configurations.get(provider.id);
    if (configuration === undefined) {
      const loopback = new URL(provider.issuer).protocol === 'http:';
      configuration = oidc.discovery(new URL(provider.issuer), provider.clientId, provider.clientSecret, undefined, {
        timeout: UPSTREAM_TIMEOUT,
        ...(loopback ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      configuration.catch(() => this.#configurations.delete(provider.id));
      this.#configurations.set(provider.id, configuration);
    }
    return configuration;
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

/** Whether a failure is the provider's absence (a connection refused, a timeout, a 5xx), not a verdict on the answer. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof TypeError || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))) return true;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 500;
}
