import { oauthError } from '../errors.js';
import type { Client } from '../clients/client.js';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Splits a space-delimited scope string into unique tokens (RFC 6749 §3.3); undefined when a token is malformed. */
export function scopeTokens(scope: string): string[] | undefined {
  const tokens = scope.split(' ').filter((token) => token.length > 0);
  if (!tokens.every((token) => SCOPE_TOKEN.test(token))) return undefined;
  return [...new Set(tokens)];
}

/**
 * The scope to grant: the requested tokens when every one is allowed to the client,
 * all of the client's scopes when none is requested (RFC 6749 §3.3), invalid_scope otherwise.
 */
export function grantScope(client: Client, requested: string | undefined): string {
  if (requested === undefined || requested.trim() === '') return client.scopes.join(' ');
  const tokens = scopeTokens(requested);
  if (!tokens) throw oauthError('invalid_scope', 'scope is malformed');
  const refused = tokens.filter((token) => !client.scopes.includes(token));
  if (refused.length > 0) throw oauthError('invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`);
  return tokens.join(' ');
}
