import {
  parseAuthorizationRequest,
  requestFingerprint,
  type AuthorizationProblem,
  type AuthorizationRegistries,
  type AuthorizationRequest,
} from '../authorize-request.js';
import { formTargetOf } from '../../http/page-layout.js';
import { AUTHORIZE_PATH } from './paths.js';
import { DEVICE_PATH } from '../device-authorization-service.js';

/**
 * Where a sign-in continues, as a path on this service: an authorization request, or the device page (RFC 8628) with
 * its query; anything else (another path, another host, `//host`) is dropped, so /login is never an open redirector.
 */
export function safeReturnTo(returnTo: string | undefined): string | undefined {
  if (returnTo === undefined) return undefined;
  const path = [AUTHORIZE_PATH, DEVICE_PATH].find((allowed) => returnTo.startsWith(`${allowed}?`) || (allowed === DEVICE_PATH && returnTo === allowed));
  if (path === undefined) return undefined;
  const url = new URL(returnTo, 'http://service.invalid');
  return url.origin === 'http://service.invalid' && url.pathname === path ? `${url.pathname}${url.search}` : undefined;
}

/** The authorization request a sign-in continues to, parsed (a problem with it too), or undefined. */
function continuedRequest(returnTo: string | undefined, registries: AuthorizationRegistries): AuthorizationRequest | AuthorizationProblem | undefined {
  if (returnTo === undefined || !returnTo.startsWith(`${AUTHORIZE_PATH}?`)) return undefined;
  return parseAuthorizationRequest(Object.fromEntries(new URL(returnTo, 'http://service.invalid').searchParams), registries);
}

/** Where a sign-in form may finally lead: the redirect URI's origin of the authorization request it continues (or of its refusal). */
export function formTargets(returnTo: string | undefined, registries: AuthorizationRegistries): string[] {
  const continued = continuedRequest(returnTo, registries);
  return continued !== undefined && 'redirectUri' in continued ? [formTargetOf(continued.redirectUri)] : [];
}

/** The fingerprint of the valid authorization request a sign-in is made for, when it continues one. */
export function authorizationRequestOf(returnTo: string | undefined, registries: AuthorizationRegistries): string | undefined {
  const continued = continuedRequest(returnTo, registries);
  return continued === undefined || 'kind' in continued ? undefined : requestFingerprint(continued);
}
