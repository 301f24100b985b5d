import type { Client } from '../clients/client.js';
import type { AccountService } from '../accounts/account-service.js';
import type { MfaService } from '../mfa/mfa-service.js';
import type { Config, LimitName } from '../config.js';
import type { RequestOrigin } from '../request-origin.js';
import { oauthError } from '../errors.js';
import type { SessionAuthentication, SessionGrant, SessionService, StartedSession } from '../sessions/session-service.js';
import type { AuthorizationCodeRecord, DeviceApproval, SessionRecord, UserRecord } from '../store/types.js';
import type { AccessTokenIssuer } from '../tokens/access-token.js';
import { AMR_PASSWORD } from '../tokens/authentication-context.js';
import type { CodeService } from '../oidc/code-service.js';
import type { SignInService } from '../oidc/sign-in-service.js';
import type { ConsentAsked, ConsentService } from '../oidc/consent-service.js';
import type { DeviceAuthorizationService } from '../oidc/device-authorization-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { UserService } from '../users/user-service.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import type { TokenAcceptance } from '../tokens/token-acceptance.js';
import type { VerifiedTokenCache } from '../tokens/verified-cache.js';

/** A JSON Schema for one string parameter of the token request. */
export interface ParameterSchema {
  type: 'string';
  maxLength: number;
  description: string;
}

/** The `scope` token-request parameter, shared by the grants that take it. */
export const SCOPE_PARAMETER: ParameterSchema = {
  type: 'string',
  maxLength: 1024,
  description: 'Space-separated scopes (RFC 6749 §3.3); when absent, everything the client (or, on refresh, the session) may have.',
};

/** The token request's parameters, after schema validation. */
export type TokenParams = Readonly<Record<string, string | undefined>>;

/** What grants need from the rest of the service. */
export interface GrantServices {
  config: Config;
  users: UserService;
  /** The account's use cases: the password grant checks a password through them. */
  accounts: AccountService;
  /** Second factors: the password grant refuses an account that has one. */
  mfa: MfaService;
  sessions: SessionService;
  accessTokens: AccessTokenIssuer;
  codes: CodeService;
  signIns: SignInService;
  consents: ConsentService;
  /** Device authorization requests (RFC 8628), which the device code grant collects. */
  devices: DeviceAuthorizationService;
  /** The protected resources a token may be meant for (RFC 8707 resource indicators). */
  resources: ResourceRegistry;
  /** Verifies a presented access token (a token exchange's subject token), and judges it for a use. */
  verifiedTokens: VerifiedTokenCache;
  tokenAcceptance: TokenAcceptance;
  /** Security-relevant events (login, refresh, reuse…), as log lines with a stable `event` field. */
  audit: AuditLog;
  clock: () => number;
}

/** The successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  /** Bearer, or DPoP for a token bound to the key of the request's DPoP proof (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** With the openid scope, on the authorization code and device code grants (OpenID Connect Core §3.1.3.3). */
  id_token?: string;
  /** What the token exchange issued (RFC 8693 §2.2.1). */
  issued_token_type?: string;
}

/** What a grant produced: the token response, and the session it belongs to (for cookie delivery). */
export interface GrantResult {
  response: TokenResponse;
  session?: SessionRecord;
}

/**
 * One grant type, as node-oidc-provider keeps one file per grant: its parameters, the request limits it
 * counts in, whether it reads the refresh cookie, and its handler. Declared once, in the grant registry.
 */
export interface Grant<T extends string = string> {
  type: T;
  /** Parameters this grant reads, beyond grant_type and client authentication. */
  parameters: Readonly<Record<string, ParameterSchema>>;
  /** Those of them that must be present. */
  required: readonly string[];
  /** The request limits a request for this grant counts in, before any other work. */
  limits: readonly LimitName[];
  /** Whether a cookie client presents this grant's refresh token as the refresh cookie (after the Origin checks). */
  readsRefreshCookie: boolean;
  /** `dpopJkt`: the thumbprint of the key the request's DPoP proof was made with (RFC 9449), the tokens' binding. */
  handle(params: TokenParams, client: Client, origin: RequestOrigin, services: GrantServices, dpopJkt: string | undefined): Promise<GrantResult>;
}

/**
 * What stands behind a user's session other than a password just checked: the authorization code of a browser sign-in,
 * or a person's approval of a device (RFC 8628).
 */
export type ApprovedBy = { code: AuthorizationCodeRecord } | { device: DeviceApproval; asked: ConsentAsked };

/**
 * Starts a session for a signed-in user, then checks that the user is still active and, for a code, that the sign-in
 * behind it still lives and authenticated since the last password change (for a device, that the approval came after
 * it). An operator's disable, a sign-out or a password change (which end sign-ins before sessions:
 * SignInService.endEverythingOf) that lands while the grant runs would otherwise miss the new session: either it comes
 * first and this check ends the session, or the session comes first and it is ended with the others.
 */
export async function startUserSession(
  services: GrantServices,
  user: UserRecord,
  client: Client,
  grant: SessionGrant,
  origin: RequestOrigin,
  approvedBy?: ApprovedBy,
): Promise<StartedSession> {
  const started = await services.sessions.start(user, client, grant, origin, authenticationOf(approvedBy));
  const refusal = await refusalAfterStart(services, user.id, client, approvedBy);
  if (refusal === undefined) return started;
  await services.sessions.end(started.session.sid);
  throw oauthError('invalid_grant', refusal);
}

/**
 * How the person authenticated, carried into every access token of the session: the code's sign-in (the session ends
 * with it), the approving person's sign-in without tying the device to that browser, or the password just now.
 */
function authenticationOf(approvedBy: ApprovedBy | undefined): SessionAuthentication {
  if (approvedBy === undefined) return { amr: AMR_PASSWORD };
  if ('device' in approvedBy) return { authTime: approvedBy.device.authTime, amr: approvedBy.device.amr };
  const { code } = approvedBy;
  return { signInId: code.signInId, authTime: code.authTime, amr: code.amr ?? AMR_PASSWORD };
}

/** Why a session just started may not live on, or undefined when it may. */
async function refusalAfterStart(services: GrantServices, userId: string, client: Client, approvedBy: ApprovedBy | undefined): Promise<string | undefined> {
  const user = await services.users.findActive(userId);
  if (!user) return 'the user is disabled or gone';
  if (approvedBy === undefined) return undefined;
  if ('device' in approvedBy) {
    if (approvedBy.device.authTime < (user.passwordChangedAt ?? 0)) return 'the password changed since the person approved the device';
    if (!(await services.consents.covers(userId, client, approvedBy.asked))) return 'the person withdrew the consent the device was approved under';
    return undefined;
  }
  const { code } = approvedBy;
  // A code stands for its sign-in: never past its end or renewal, nor past a password change after it authenticated.
  if (code.authTime < (user.passwordChangedAt ?? 0) || !(await services.signIns.isLive(code))) {
    return 'the sign-in that issued the authorization code has ended';
  }
  // A consent withdrawn since the code was issued (which ends the client's sessions) takes the code with it.
  if (!(await services.consents.covers(userId, client, code))) return 'the person withdrew the consent this code was issued under';
  return undefined;
}
