import { hash, randomBytes } from 'node:crypto';

/** Bytes of CSPRNG output in every secret the service hands out. */
export const SECRET_BYTES = 32;

/**
 * A new opaque secret: 32 bytes from the CSPRNG, base64url. Refresh tokens (RFC 6749 §10.10), authorization codes
 * (§10.5) and sign-in cookies are all one of these.
 */
export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/**
 * What the store keeps instead of a secret of 256 random bits (a refresh token, an authorization code, a sign-in
 * cookie): its SHA-256, base64url. The secret's entropy makes a fast hash enough.
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}
