import { randomInt } from 'node:crypto';

/**
 * The user code's alphabet: twenty consonants, no vowels (no words spelled by chance) and none easily confused with
 * a digit (RFC 8628 §6.1, its example). Eight characters of it hold 34.5 bits; at most a few guesses a minute per
 * person and address (the page's limits) make finding one of the few codes waiting at any time hopeless (§5.1).
 */
const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/** The user code's length, without the hyphen shown in its middle. */
export const USER_CODE_LENGTH = 8;

/** A new user code, each character drawn uniformly from the alphabet, in its stored (normalized) form. */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** A user code as a person reads it: two groups of four, `WDJB-MJHT` (RFC 8628 §6.1). */
export function displayedUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * A user code as typed, normalized: case ignored, and the hyphen, spaces and other separators people type dropped
 * (RFC 8628 §6.1); undefined when what is left cannot be a user code.
 */
export function normalizedUserCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s\-–—_.:]/g, '');
  return code.length === USER_CODE_LENGTH && [...code].every((character) => ALPHABET.includes(character)) ? code : undefined;
}
