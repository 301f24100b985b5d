import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const SEAL_INFO = Buffer.from('tokensmith refresh-token successor v1');

/** A new opaque refresh token: 32 bytes from the CSPRNG, base64url (RFC 6749 §10.10). */
export function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the store keeps instead of a refresh token: its SHA-256 (the token's 256 bits of entropy make a fast hash enough). */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function sealingKey(token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(token, 'utf8'), Buffer.alloc(0), SEAL_INFO, 32));
}

/**
 * Encrypts a successor token under a key derived from its predecessor (AES-256-GCM). Whoever presents
 * the predecessor again within the reuse grace can recover the same successor, so concurrent refreshes
 * get one token family branch; the store, holding neither token, can read neither.
 */
export function sealSuccessor(predecessor: string, successor: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(predecessor), iv);
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** Recovers a sealed successor with its predecessor; undefined when the seal does not open. */
export function openSuccessor(predecessor: string, sealed: string): string | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(predecessor), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
