import type { SignInRecord } from '../store/types.js';
import { hashSecret } from '../tokens/secret.js';
import { requestFingerprint, type AuthorizationProblem, type AuthorizationRequest } from './authorize-request.js';
import { acrOf } from '../tokens/authentication-context.js';
import type { MfaService } from '../mfa/mfa-service.js';
import type { CodeService } from './code-service.js';
import type { PushedAuthorizationService } from './pushed-requests.js';
import type { ConsentService } from './consent-service.js';

/** How long a sign-in made for an authorization request stands for it: time to read and answer a consent page. */
const INTERACTION_SECONDS = 600;

/** The browser's sign-in at this service, and the cookie secret it stands behind. */
export interface CurrentSignIn {
  signIn: SignInRecord;
  secret: string;
}

/** What the authorization endpoint does next. */
export type AuthorizationStep =
  /** The person must sign in (again) first. */
  | { kind: 'sign-in' }
  /** The person signed in with a password alone, and must add their second factor (a step up, not a new sign-in). */
  | { kind: 'step-up' }
  /** MFA=required and the person has no second factor yet: they must add one (on the account page) first. */
  | { kind: 'enrol' }
  /** The person must be asked whether the client may have the scope. */
  | { kind: 'consent' }
  /** Back to the client: a code, or an error. */
  | { kind: 'redirect'; location: string };

/**
 * The authorization endpoint's decisions (RFC 6749 §4.1, OpenID Connect Core §3.1.2), independent of HTTP:
 * whether the sign-in is recent enough, whether consent is needed, and the redirect that answers the client.
 */
export class AuthorizationService {
  constructor(
    private readonly codes: CodeService,
    private readonly consents: ConsentService,
    private readonly mfa: MfaService,
    private readonly pushedRequests: Pick<PushedAuthorizationService, 'spend'>,
    private readonly issuer: string,
    private readonly clock: () => number,
  ) {}

  /**
   * The next step for a valid request: sign in unless the sign-in is live and recent enough (prompt=login,
   * max_age), consent unless first-party or already given (or consentGiven now), else a code. With prompt=none
   * the first two are errors instead (login_required, consent_required).
   */
  async next(request: AuthorizationRequest, current: CurrentSignIn | undefined, consentGiven = false): Promise<AuthorizationStep> {
    const signIn = current?.signIn;
    const now = Math.floor(this.clock() / 1000);
    // A sign-in made for this very request meets its max_age and prompt=login (OpenID Connect Core §3.1.2.1: the
    // person authenticated in answer to it), while its interaction lasts; otherwise auth_time decides.
    const madeForIt = signIn?.authenticatedFor === requestFingerprint(request) && now - signIn.authTime <= INTERACTION_SECONDS;
    const recent =
      signIn !== undefined && (madeForIt || (!request.prompt.has('login') && (request.maxAge === undefined || now - signIn.authTime <= request.maxAge)));
    if (!recent || signIn === undefined) return this.#unlessSilent(request, 'login_required', 'the person must sign in', { kind: 'sign-in' });
    if (request.client.requireMfa || request.acrValues[0] === 'mfa' || this.mfa.policy === 'required') {
      const stepUp = await this.#stepUp(request, signIn);
      if (stepUp) return stepUp;
    }
    if (!consentGiven && (request.prompt.has('consent') || !(await this.consents.covers(signIn.userId, request.client, request)))) {
      return this.#unlessSilent(request, 'consent_required', 'the person must allow this application', { kind: 'consent' });
    }
    // RFC 9126 §4: a pushed request yields one code, once.
    if (request.pushed !== undefined && !(await this.pushedRequests.spend(request.pushed))) {
      const description = 'the request_uri was used already or has expired: push the request again';
      return {
        kind: 'redirect',
        location: this.refusal({ kind: 'redirect', redirectUri: request.redirectUri, state: request.state, error: 'invalid_request', description }),
      };
    }
    const code = await this.codes.issue({
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      scope: request.scope,
      ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
      userId: signIn.userId,
      signInId: signIn.id,
      signInHash: hashSecret(current!.secret),
      authTime: signIn.authTime,
      amr: signIn.amr ?? ['pwd'],
      ...(request.resource === undefined ? {} : { resource: request.resource }),
      ...(request.dpopJkt === undefined ? {} : { dpopJkt: request.dpopJkt }),
    });
    return { kind: 'redirect', location: this.#location(request.redirectUri, request.state, { code }) };
  }

  /**
   * A request that wants a multi-factor sign-in (MFA=required, the client's require_mfa, or `mfa` first in
   * acr_values) of a sign-in that proved a password alone: a step up when the person has a second factor (asking only
   * for it, RFC 9470's idea); under MFA=required, setting one up first; access_denied when the client requires it and
   * the person has none; nothing when acr_values merely prefer it (OpenID Connect Core §3.1.2.1: voluntary; the ID
   * token's `acr` says what was met).
   */
  async #stepUp(request: AuthorizationRequest, signIn: SignInRecord): Promise<AuthorizationStep | undefined> {
    if (acrOf(signIn.amr) === 'mfa') return undefined;
    if (await this.mfa.needsSecondStep(signIn.userId)) {
      return this.#unlessSilent(request, 'interaction_required', 'the person must complete a second factor', { kind: 'step-up' });
    }
    if (this.mfa.policy === 'required') {
      return this.#unlessSilent(request, 'interaction_required', 'the person must set up a second factor', { kind: 'enrol' });
    }
    if (!request.client.requireMfa) return undefined;
    const description = 'this application needs two-step sign-in: set up an authenticator app on the account page first';
    return {
      kind: 'redirect',
      location: this.refusal({ kind: 'redirect', redirectUri: request.redirectUri, state: request.state, error: 'access_denied', description }),
    };
  }

  /** The redirect that tells the client its request was refused (RFC 6749 §4.1.2.1). */
  refusal(problem: Extract<AuthorizationProblem, { kind: 'redirect' }>): string {
    return this.#location(problem.redirectUri, problem.state, { error: problem.error, error_description: problem.description });
  }

  #unlessSilent(request: AuthorizationRequest, error: string, description: string, step: AuthorizationStep): AuthorizationStep {
    if (!request.prompt.has('none')) return step;
    return { kind: 'redirect', location: this.refusal({ kind: 'redirect', redirectUri: request.redirectUri, state: request.state, error, description }) };
  }

  /** The redirect URI with the response parameters added to its query (RFC 6749 §4.1.2), state echoed and iss (RFC 9207). */
  #location(redirectUri: string, state: string | undefined, params: Record<string, string>): string {
    const url = new URL(redirectUri);
    for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
    if (state !== undefined) url.searchParams.append('state', state);
    url.searchParams.append('iss', this.issuer);
    return url.href;
  }
}
