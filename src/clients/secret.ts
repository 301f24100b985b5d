import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix of a client_secret_hash in CLIENTS_FILE. */
export const SECRET_HASH_PREFIX = 'sha256:';

/**
 * A new client secret: 32 random bytes, base64url. Its entropy is what makes a fast SHA-256
 * an adequate hash at rest, unlike for passwords.
 */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The `sha256:<hex>` form of a secret, as CLIENTS_FILE stores it. */
export function hashClientSecret(secret: string): string {
  return SECRET_HASH_PREFIX + hash('sha256', secret, 'hex');
}

/** Compares a presented secret with a stored SHA-256 in constant time. */
export function secretMatches(secret: string, secretHash: Buffer): boolean {
  // crypto.hash: one call, without the Hash object createHash builds (a third of the cost for a short input).
  return timingSafeEqual(hash('sha256', secret, 'buffer'), secretHash);
}
