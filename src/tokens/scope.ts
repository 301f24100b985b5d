import { oauthError } from '../errors.js';

/** The OpenID Connect scopes (OpenID Connect Core §3.1.2.1, §5.4): they concern this service, whatever a token's audience. */
export const OPENID_SCOPES: readonly string[] = ['openid', 'profile', 'email'];

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Splits a space-delimited scope string into unique tokens (RFC 6749 §3.3); undefined when a token is malformed. */
export function scopeTokens(scope: string): string[] | undefined {
  const tokens = scope.split(' ').filter((token) => token.length > 0);
  if (!tokens.every((token) => SCOPE_TOKEN.test(token))) return undefined;
  return [...new Set(tokens)];
}

/**
 * The scope to grant: the requested tokens when every one is in `allowed`, all of `allowed` when
 * none is requested (RFC 6749 §3.3), invalid_scope otherwise. The error never names the refused
 * tokens: a caller probing a token or client learns nothing about what it could have had.
 */
export function grantScope(allowed: readonly string[], requested: string | undefined): string {
  if (requested === undefined || requested.trim() === '') return allowed.join(' ');
  const tokens = scopeTokens(requested);
  if (!tokens) throw oauthError('invalid_scope', 'scope is malformed');
  if (!tokens.every((token) => allowed.includes(token))) throw oauthError('invalid_scope', 'the requested scope is not allowed');
  return tokens.join(' ');
}

/**
 * The part of a granted scope (a session's, an access token's) that the client is still allowed: an operator who
 * removes a scope from a client takes it from the client's existing sessions and tokens too, not only from new logins.
 */
export function narrowedScope(granted: string, allowed: readonly string[]): string[] {
  return scopeList(granted).filter((token) => allowed.includes(token));
}

/** The tokens of a stored, already valid scope string. */
export function scopeList(scope: string): string[] {
  return scope.split(' ').filter(Boolean);
}
