import { randomBytes } from 'node:crypto';

/** A 128-bit random identifier, base64url (jti, sid). */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}
