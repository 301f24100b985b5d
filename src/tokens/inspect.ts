import { ServiceError } from '../errors.js';
import type { SessionRecord } from '../store/types.js';
import type { VerifiedTokenCache } from './verified-cache.js';
import type { AccessTokenClaims, VerifyOptions } from './verify.js';

/** Finds the live session a refresh token (current or spent) belongs to; SessionService is one. */
export interface RefreshTokenLookup {
  findByRefreshToken(refreshToken: string): Promise<{ session: SessionRecord; current: boolean } | undefined>;
}

/** What a presented token turned out to be. */
export type InspectedToken = { kind: 'access_token'; claims: AccessTokenClaims } | { kind: 'refresh_token'; session: SessionRecord; current: boolean };

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Identifies a token by its form, not by the client's token_type_hint (RFC 7009 §2.1 and RFC 7662 §2.1
 * make the hint optional): a JWT that passes strict verification is an access token; 43 base64url
 * characters that name a live session are a refresh token. Anything else is undefined.
 */
export async function inspectToken(
  token: string,
  sessions: RefreshTokenLookup,
  verifier: VerifiedTokenCache,
  verify: VerifyOptions,
): Promise<InspectedToken | undefined> {
  if (JWS_COMPACT.test(token)) {
    try {
      return { kind: 'access_token', claims: await verifier.verify(token, verify) };
    } catch (error) {
      if (error instanceof ServiceError) return undefined;
      throw error;
    }
  }
  if (!REFRESH_TOKEN.test(token)) return undefined;
  const found = await sessions.findByRefreshToken(token);
  return found && { kind: 'refresh_token', ...found };
}
