import type { JSONWebKeySet } from 'jose';

/** Where a client's public keys are (RFC 7591 §2 `jwks`, `jwks_uri`): for private_key_jwt (RFC 7523) client authentication. */
export type ClientKeys = { kind: 'jwks'; jwks: JSONWebKeySet } | { kind: 'uri'; uri: string };

/**
 * The JWS algorithms a client assertion may be signed with: asymmetric only (a shared secret is client_secret_*'s
 * job); Ed25519 is EdDSA's fully specified name (RFC 9864), which openid-client signs with.
 */
export const ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'] as const;

/** The most keys a client may list: a rotation needs two or three. */
const MAX_KEYS = 10;

/** Members that only a private or symmetric key has (RFC 7518 §6): a published set must carry none. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A JWK Set of public keys (RFC 7517 §5), or a message saying what is wrong with it. */
export function publicKeySet(value: unknown): JSONWebKeySet | string {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || value === null || !Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    return `jwks must be a JWK Set: {"keys": [...]} with 1 to ${MAX_KEYS} keys`;
  }
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || !['RSA', 'EC', 'OKP'].includes((key as { kty?: unknown }).kty as string)) {
      return 'jwks keys must be RSA, EC or OKP public keys';
    }
    if (PRIVATE_MEMBERS.some((member) => member in key)) return 'jwks must hold public keys only: a private key was given';
  }
  return { keys } as JSONWebKeySet;
}

/** The keys a client entry names, undefined for none, or a message saying what is wrong. */
export function clientKeysOf(jwks: unknown, jwksUri: unknown): ClientKeys | undefined | string {
  if (jwks !== undefined && jwksUri !== undefined) return 'jwks and jwks_uri cannot both be given (RFC 7591 §2)';
  if (jwks !== undefined) {
    const set = publicKeySet(jwks);
    return typeof set === 'string' ? set : { kind: 'jwks', jwks: set };
  }
  if (jwksUri === undefined) return undefined;
  if (typeof jwksUri !== 'string' || jwksUri.length > 2048 || !URL.canParse(jwksUri) || new URL(jwksUri).protocol !== 'https:' || jwksUri.includes('#')) {
    return 'jwks_uri must be an https URL without fragment';
  }
  return { kind: 'uri', uri: jwksUri };
}
