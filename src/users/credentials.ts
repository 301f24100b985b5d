import { oauthError } from '../errors.js';

/** Longest username, in characters (an email address fits: RFC 5321 §4.5.3.1.3 allows 254). */
export const USERNAME_MAX_LENGTH = 254;
export const USERNAME_MIN_LENGTH = 3;
/** Shortest password, in characters (NIST SP 800-63B §5.1.1.2: at least 8). */
export const PASSWORD_MIN_LENGTH = 8;
/** Longest password, in UTF-8 bytes: bounds the hashing work an attacker can ask for. */
export const PASSWORD_MAX_BYTES = 1024;

// Letters, marks and digits of any script, plus the punctuation of email addresses and handles.
const USERNAME_PATTERN = /^[\p{L}\p{M}\p{N}._@+-]+$/u;

/** A username in display form and in the case-folded form that makes it unique. */
export interface NormalizedUsername {
  username: string;
  key: string;
}

/**
 * NFKC-normalizes a username and derives its comparison key (upper- then lower-casing folds
 * ß/SS and similar pairs), so that case and compatibility variants are one account.
 * Returns undefined for a malformed username.
 */
export function normalizeUsername(input: string): NormalizedUsername | undefined {
  const username = input.normalize('NFKC');
  const length = [...username].length;
  if (length < USERNAME_MIN_LENGTH || length > USERNAME_MAX_LENGTH || !USERNAME_PATTERN.test(username)) return undefined;
  return { username, key: foldUsername(username) };
}

/** The case-folded, NFKC form a username is unique under (its key); also of a prefix of one, for searching. */
export function foldUsername(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * The key that per-username limits and the login throttle count under: the normalized form, so case and
 * Unicode variants of a name share one bucket (a malformed name, which no account has, is lower-cased).
 */
export function usernameBucket(username: string): string {
  return normalizeUsername(username)?.key ?? username.toLowerCase();
}

/** Checks the byte bound of a password before any hashing work; invalid_request when over it. */
export function assertPasswordSize(password: string): void {
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    throw oauthError('invalid_request', `password must be at most ${PASSWORD_MAX_BYTES} bytes`);
  }
}

/** Checks a new password against the policy: at least 8 characters, at most 1024 bytes. */
export function assertPasswordPolicy(password: string): void {
  assertPasswordSize(password);
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    throw oauthError('invalid_request', `password must be at least ${PASSWORD_MIN_LENGTH} characters`);
  }
}

/** The form of a password that is hashed: NFKC, so the same password typed on any keyboard matches (NIST SP 800-63B §5.1.1.2). */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}
