import { hash, randomBytes } from 'node:crypto';
import { base32Encode } from './totp.js';

/** Codes in a set: ten, each used once. */
export const RECOVERY_CODE_COUNT = 10;

/**
 * New recovery codes and the hashes the store keeps instead. Each is 80 random bits (16 base32 characters, shown in
 * groups of four): enough that a fast hash at rest resists guessing even from a stolen copy of the store.
 */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => base32Encode(randomBytes(10)).toLowerCase().match(/.{4}/g)!.join('-'));
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

/** The hash a recovery code is kept and found by: of its letters alone, so case, spaces and dashes do not matter. */
export function hashRecoveryCode(code: string): string {
  return hash('sha256', code.replace(/[\s-]/g, '').toUpperCase(), 'base64url');
}
