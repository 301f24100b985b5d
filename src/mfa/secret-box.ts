import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What marks a sealed value: the format's version, then base64url of nonce, ciphertext and tag. */
const SEALED_PREFIX = 'v1.';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that cannot be opened: no key, the wrong key, or not the user it was sealed for. */
export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/**
 * Seals the secrets the service must read back (an authenticator app's key cannot be hashed) under MFA_SECRET_KEY:
 * AES-256-GCM with a random nonce, the user's id as associated data, so a sealed key copied onto another account's
 * record does not open. Without a key, values are kept as they are; a value written before a key was set stays
 * readable, and is sealed when next written.
 */
export class SecretBox {
  constructor(
    private readonly key: Buffer | undefined,
    /** What it seals, for its errors ("an authenticator-app key", "a provider's client secret"). */
    private readonly what = 'an authenticator-app key',
  ) {}

  /** Whether values are sealed (MFA_SECRET_KEY is set). */
  get sealing(): boolean {
    return this.key !== undefined;
  }

  /** The value, sealed for the user when there is a key; as it is otherwise. */
  seal(value: string, userId: string): string {
    if (!this.key) return value;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce).setAAD(Buffer.from(userId));
    const sealed = Buffer.concat([nonce, cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return SEALED_PREFIX + sealed.toString('base64url');
  }

  /** A value as `seal` left it, opened; SealError when it is sealed and cannot be opened here. */
  open(stored: string, userId: string): string {
    if (!stored.startsWith(SEALED_PREFIX)) return stored;
    if (!this.key) throw new SealError(`${this.what} is sealed, and MFA_SECRET_KEY is not set`);
    const bytes = Buffer.from(stored.slice(SEALED_PREFIX.length), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, NONCE_BYTES)).setAAD(Buffer.from(userId));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealError(`${this.what} does not open with MFA_SECRET_KEY (another key, or another record)`);
    }
  }
}
