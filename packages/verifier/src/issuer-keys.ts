import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { VerifierError } from './errors.js';

/** Where and how the issuer's keys are fetched. */
export interface IssuerKeysOptions {
  issuer: string;
  /** The JWKS URL; discovered from the issuer's RFC 8414 metadata when absent. */
  jwksUrl?: string | undefined;
  /** Milliseconds a metadata or JWKS fetch may take. */
  timeout: number;
  cacheMaxAge: number;
  cooldownDuration: number;
  fetch: typeof fetch;
}

/** The outage answer: the keys cannot be had now, which says nothing about the token. */
function unavailable(why: string): VerifierError {
  return new VerifierError('temporarily_unavailable', `the issuer's keys cannot be fetched (${why})`);
}

/** A failure's short, safe name: a status line or an error class, never a URL or a body. */
function reason(error: unknown): string {
  return error instanceof VerifierError ? error.message : ((error as Error)?.name ?? 'error');
}

async function discoverJwksUrl(options: IssuerKeysOptions): Promise<string> {
  const response = await options.fetch(`${options.issuer}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout(options.timeout) });
  if (!response.ok) throw new VerifierError('temporarily_unavailable', `metadata answered ${response.status}`);
  const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // RFC 8414 §3.3: the metadata's issuer must be the one asked for.
  if (metadata.issuer !== options.issuer || typeof metadata.jwks_uri !== 'string')
    throw new VerifierError('temporarily_unavailable', 'metadata does not match the issuer');
  return metadata.jwks_uri;
}

/**
 * The key resolver of a verifier: the issuer's JWKS, discovered and cached, refetched on an unknown kid at most
 * once per cooldown. An issuer that cannot be reached (refused, timed out, 5xx, not a key set) is an outage, never a
 * verdict on the token: keys already fetched keep verifying (even past cacheMaxAge), and a token that needs keys
 * not yet had gets `temporarily_unavailable`, so that no client drops its tokens during an auth outage.
 */
export function issuerKeys(options: IssuerKeysOptions): JWTVerifyGetKey {
  let remote: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const remoteSet = () => {
    remote ??= (options.jwksUrl ? Promise.resolve(options.jwksUrl) : discoverJwksUrl(options)).then(
      (url) =>
        createRemoteJWKSet(new URL(url), { timeoutDuration: options.timeout, cacheMaxAge: options.cacheMaxAge, cooldownDuration: options.cooldownDuration }),
      (error: unknown) => {
        remote = undefined;
        throw unavailable(reason(error));
      },
    );
    return remote;
  };
  return async (header, token) => {
    const keys = await remoteSet();
    try {
      return await keys(header, token);
    } catch (error) {
      // The set was fetched and has no (single) key for this kid: a verdict on the token.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      const known = keys.jwks();
      if (known) {
        try {
          return await createLocalJWKSet(known)(header, token);
        } catch {
          // not among the keys already fetched either
        }
      }
      throw unavailable(reason(error));
    }
  };
}
