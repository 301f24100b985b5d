import type { Client } from '../clients/client.js';
import type { RevocationReading, RevocationService } from '../revocation/revocation-service.js';
import type { SessionRecord } from '../store/types.js';
import type { AccessTokenClaims } from './verify.js';

/** A use of a verified access token: how it is judged. */
export interface TokenUse {
  revocation: RevocationReading;
  /** Whose token the use takes: a person's (a session's, with `sid`), or a client's own (client_credentials, no `sid`). */
  holder?: 'user' | 'client';
  /** An audience the token must name (RFC 9068 §4). */
  audience?: string | undefined;
  /** Scopes the token must carry and its client still be allowed (RFC 6750 §3.1). */
  scopes?: readonly string[];
}

/** Why a token is refused for a use. */
export type Refusal = 'revoked' | 'not_a_user_token' | 'not_a_client_token' | 'wrong_audience' | 'insufficient_scope';

/** The judgement of a token for a use: accepted with the scope its client holds now, or refused and why. */
export type Verdict = { accepted: true; scope: string } | { accepted: false; refusal: Refusal; missing?: readonly string[] };

/** The registry lookups a judgement needs. */
export interface ClientScopes {
  get(clientId: string): Client | undefined;
  currentScope(clientId: string, granted: string): string;
  issuedToCurrent(clientId: string, issuedAt: number): boolean;
}

const refused = (refusal: Refusal): Verdict => ({ accepted: false, refusal });

/**
 * The one place that decides whether a verified access token is acceptable for a use: not revoked (its jti, its
 * session, or its client deleted since it was issued), held by the kind of holder the use takes, naming the audience
 * and carrying the scopes the use requires, where the token's scope counts only as far as its client is still
 * allowed it. Forward-auth (its route and the fast lane), introspection (refresh tokens too: judgeRefreshToken), the account API and the admin API all ask
 * here; the signature and claim checks come before, in verify.ts.
 */
export class TokenAcceptance {
  /** The scope each token's client holds now, remembered per token and client registration (hot paths ask often). */
  readonly #scopes = new WeakMap<AccessTokenClaims, { client: Client | undefined; scope: string }>();

  constructor(
    private readonly revocations: RevocationService,
    private readonly clients: ClientScopes,
  ) {}

  /** Judges a token for a use, reading revocation as the use says (`store` or `mirror`). */
  async judge(claims: AccessTokenClaims, use: TokenUse): Promise<Verdict> {
    // A person's use refuses a client's token before any read: no store answer can make it acceptable.
    if (use.holder === 'user' && typeof claims.sid !== 'string') return refused('not_a_user_token');
    // A judgement that may wait never stops at what is held: `held` reads as `mirror`, falling back to the store.
    const revoked = await this.revocations.isRevoked(claims, use.revocation === 'store' ? 'store' : 'mirror');
    return revoked ? refused('revoked') : this.#rules(claims, use);
  }

  /** Judges a token from what this instance holds alone (the fast lane); undefined when that cannot say. */
  judgeHere(claims: AccessTokenClaims, use: TokenUse): Verdict | undefined {
    const revoked = this.revocations.isRevokedAsHeld(claims);
    if (revoked === undefined) return undefined;
    return revoked ? refused('revoked') : this.#rules(claims, use);
  }

  #rules(claims: AccessTokenClaims, use: TokenUse): Verdict {
    if (use.holder === 'user' && typeof claims.sid !== 'string') return refused('not_a_user_token');
    if (use.holder === 'client' && claims.sid !== undefined) return refused('not_a_client_token');
    if (use.audience !== undefined && !(Array.isArray(claims.aud) ? claims.aud : [claims.aud]).includes(use.audience)) return refused('wrong_audience');
    const scope = this.#scopeOf(claims);
    if (use.scopes !== undefined && use.scopes.length > 0) {
      const granted = new Set(scope.split(' '));
      const missing = use.scopes.filter((required) => !granted.has(required));
      if (missing.length > 0) return { accepted: false, refusal: 'insufficient_scope', missing };
    }
    return { accepted: true, scope };
  }

  /**
   * Judges a refresh token for introspection (RFC 7662 §2.2): active while it is its session's current token and
   * the session's client is registered as it was when the session began; its scope as far as the client is allowed
   * it now. A spent token of a live session is refused as revoked: it refreshes only within the reuse grace.
   */
  judgeRefreshToken(found: { session: Pick<SessionRecord, 'clientId' | 'createdAt' | 'scope'>; current: boolean }): Verdict {
    const { session } = found;
    if (!found.current || !this.clients.issuedToCurrent(session.clientId, session.createdAt)) return refused('revoked');
    return { accepted: true, scope: this.clients.currentScope(session.clientId, session.scope) };
  }

  /** The token's scope as far as its client is allowed it now (a client the admin API changes is a new object). */
  #scopeOf(claims: AccessTokenClaims): string {
    const client = this.clients.get(claims.client_id);
    const known = this.#scopes.get(claims);
    if (known !== undefined && known.client === client) return known.scope;
    const scope = this.clients.currentScope(claims.client_id, claims.scope);
    this.#scopes.set(claims, { client, scope });
    return scope;
  }
}
