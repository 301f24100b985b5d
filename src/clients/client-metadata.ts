import { oauthError, type ServiceError } from '../errors.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import { OPENID_SCOPES, scopeTokens } from '../tokens/scope.js';
import { displayFieldsOf } from './client-display.js';
import { redirectUriProblem } from './redirect-uri.js';
import { clientKeysOf } from './client-keys.js';

/** How a client that registered itself authenticates at the token endpoint. */
export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** What the rules of self-registered client metadata depend on. */
export interface MetadataRules {
  /** Whether the client may be confidential with a secret (an initial access token came with the registration). */
  mayHoldSecrets: boolean;
  /** Whether it may authenticate with its keys (private_key_jwt, RFC 7523): a registration and a metadata document may. */
  mayUseKeys: boolean;
  /** The issuer: tokens for this service itself are a self-registered client's default audience. */
  issuer: string;
  /** The resources whose scopes (those open to every client) it may ask for. */
  resources: ResourceRegistry;
}

/** The most redirect URIs one client may list. */
const MAX_REDIRECT_URIS = 10;

/** The error of RFC 7591 §3.2.2 for metadata the service does not take. */
export function invalidMetadata(description: string): ServiceError {
  return oauthError('invalid_client_metadata', description);
}

/**
 * The client entry that client metadata (RFC 7591 §2: a registration's, or a client ID metadata document's) makes,
 * with its token endpoint authentication method: checked against what such a client may be here, defaults filled in
 * where it leaves a field out. A ServiceError (invalid_client_metadata, invalid_redirect_uri) says what is refused.
 */
export function clientEntryFromMetadata(metadata: unknown, rules: MetadataRules): { entry: Record<string, unknown>; method: TokenEndpointAuthMethod } {
  const { mayHoldSecrets } = rules;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw invalidMetadata('the client metadata must be a JSON object');
  const given = metadata as Record<string, unknown>;
  const method = given.token_endpoint_auth_method ?? (mayHoldSecrets ? 'client_secret_basic' : 'none');
  const allowed = ['none', ...(mayHoldSecrets ? ['client_secret_basic', 'client_secret_post'] : []), ...(rules.mayUseKeys ? ['private_key_jwt'] : [])];
  if (typeof method !== 'string' || !allowed.includes(method)) throw invalidMetadata(`token_endpoint_auth_method must be ${allowed.join(', ')}`);
  // private_key_jwt holds no shared secret, so even open registration may make one (its keys are all it proves).
  const keys = rules.mayUseKeys ? clientKeysOf(given.jwks, given.jwks_uri) : undefined;
  if (typeof keys === 'string') throw invalidMetadata(keys);
  if ((method === 'private_key_jwt') !== (keys !== undefined)) throw invalidMetadata('jwks or jwks_uri go with private_key_jwt, and it with one of them');
  const grantTypes = stringsOf(given.grant_types, 'grant_types') ?? ['authorization_code'];
  if (!grantTypes.includes('authorization_code') || grantTypes.some((type) => type !== 'authorization_code' && type !== 'refresh_token')) {
    throw invalidMetadata('grant_types must be authorization_code, with refresh_token or not');
  }
  const responseTypes = stringsOf(given.response_types, 'response_types') ?? ['code'];
  if (responseTypes.length !== 1 || responseTypes[0] !== 'code') throw invalidMetadata('response_types must be ["code"]');
  const redirectUris = stringsOf(given.redirect_uris, 'redirect_uris');
  if (redirectUris === undefined || redirectUris.length === 0 || redirectUris.length > MAX_REDIRECT_URIS) {
    throw oauthError('invalid_redirect_uri', `redirect_uris must list 1 to ${MAX_REDIRECT_URIS} URIs`);
  }
  for (const uri of redirectUris) {
    const problem = uri.length > 2048 ? 'is too long' : redirectUriProblem(uri);
    if (problem !== undefined) throw oauthError('invalid_redirect_uri', `the redirect URI ${uri.slice(0, 100)} ${problem}`);
  }
  const display = displayFieldsOf(given);
  if (given.dpop_bound_access_tokens !== undefined && typeof given.dpop_bound_access_tokens !== 'boolean') {
    throw invalidMetadata('dpop_bound_access_tokens must be true or false');
  }
  return {
    method: method as TokenEndpointAuthMethod,
    entry: {
      type: method === 'none' ? 'public' : 'confidential',
      grant_types: [...new Set(grantTypes)],
      scope: registeredScope(given.scope, rules.resources),
      // Tokens for this service itself unless a resource is named: never the APIs' default audience.
      audience: [rules.issuer],
      redirect_uris: [...new Set(redirectUris)],
      ...(keys?.kind === 'jwks' ? { jwks: keys.jwks } : keys?.kind === 'uri' ? { jwks_uri: keys.uri } : {}),
      // RFC 9449 §5.2: the client asks that every token request of it carry a DPoP proof.
      ...(given.dpop_bound_access_tokens === true ? { dpop_bound_access_tokens: true } : {}),
      ...display,
    },
  };
}

/** The scope a registered client may ask for: the OpenID scopes and those of the resources open to every client. */
function registeredScope(requested: unknown, resources: ResourceRegistry): string {
  const registrable = [...new Set([...OPENID_SCOPES, ...resources.all().flatMap((resource) => (resource.clients === '*' ? (resource.scopes ?? []) : []))])];
  if (requested === undefined) return registrable.join(' ');
  const tokens = typeof requested === 'string' ? scopeTokens(requested) : undefined;
  if (tokens === undefined || tokens.length === 0) throw invalidMetadata('scope must be space-separated scope tokens');
  const refused = tokens.filter((token) => !registrable.includes(token));
  if (refused.length > 0) throw invalidMetadata(`scope may name only ${registrable.join(' ')}`);
  return tokens.join(' ');
}

/** A metadata field that must be an array of strings when present. */
function stringsOf(value: unknown, field: 'redirect_uris' | 'grant_types' | 'response_types'): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalidMetadata(`${field} must be an array of strings`);
  return value as string[];
}
