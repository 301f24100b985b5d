import { createHash, timingSafeEqual } from 'node:crypto';
import { hashSecret, SECRET_BYTES } from './secret.js';

/** Domain separation: the sealing pad of a token must never equal, or follow from, the hash the store keeps of it. */
const SEAL_PAD_LABEL = Buffer.from('tokensmith refresh-token successor pad v2\0');

/** What the store keeps instead of a refresh token (hashSecret). */
export const hashRefreshToken = hashSecret;

/** The one-time pad a token seals its successor with: SHA-256 over a label and the token. */
function sealingPad(token: string): Buffer {
  return createHash('sha256').update(SEAL_PAD_LABEL).update(token, 'utf8').digest();
}

function xorInto(target: Buffer, pad: Buffer): Buffer {
  for (let i = 0; i < target.length; i++) target[i]! ^= pad[i]!;
  return target;
}

/**
 * Seals a successor token under its predecessor, so that whoever presents the predecessor again
 * within the reuse grace recovers the same successor (concurrent refreshes stay on one branch of the
 * token family) while the store, holding neither token, can read neither. The successor's 32 random
 * bytes are XORed with a pad derived from the predecessor's 256 random bits: each pad seals exactly
 * one successor, so this is a one-time pad; one SHA-256 instead of a key derivation and a cipher
 * context per refresh. Integrity comes from openSuccessor's check against the stored hash.
 */
export function sealSuccessor(predecessor: string, successor: string): string {
  const bytes = Buffer.from(successor, 'base64url');
  if (bytes.length !== SECRET_BYTES) throw new Error('a successor is a generated refresh token');
  return xorInto(bytes, sealingPad(predecessor)).toString('base64url');
}

/**
 * Recovers a sealed successor with its predecessor. Undefined unless the result hashes to
 * `successorHash`, the hash the store holds of the session's current token: a seal that was altered, or
 * opened with the wrong token, yields nothing.
 */
export function openSuccessor(predecessor: string, sealed: string, successorHash: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length !== SECRET_BYTES) return undefined;
  const successor = xorInto(bytes, sealingPad(predecessor)).toString('base64url');
  const expected = Buffer.from(successorHash);
  const actual = Buffer.from(hashRefreshToken(successor));
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? successor : undefined;
}
