import { oauthError } from '../errors.js';
import type { UserEmail } from '../store/types.js';

/** Longest address, in characters: RFC 5321 §4.5.3.1.3 bounds a path at 256 octets, so an address at 254. */
export const EMAIL_MAX_LENGTH = 254;
/** Longest local part, in octets (RFC 5321 §4.5.3.1.1). */
const LOCAL_PART_MAX_BYTES = 64;

// A dot-atom local part (RFC 5322 §3.2.3; RFC 6531 lets it hold any Unicode letter): no quoted strings, spaces or
// brackets, which mail clients and people mistype more often than they use. A domain of dot-separated labels, each
// letters, digits and inner hyphens (an internationalized name in Unicode or punycode), ending in a label of letters.
const LOCAL_PART = /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_\x60{|}~-]+(?:\.[\p{L}\p{M}\p{N}!#$%&'*+/=?^_\x60{|}~-]+)*$/u;
const DOMAIN = /^(?:[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?\.)+(?:[\p{L}\p{M}]{2,63}|xn--[a-z0-9-]{1,59})$/iu;

/**
 * An address as the account keeps it: `address` as written (trimmed, NFC) and `key`, the form that makes it unique.
 * The key compares the whole address without regard to case (NFKC, then lower case): RFC 5321 §2.4 lets a server
 * treat the local part as case-sensitive, but no mail service people use does, and `Ann@x` and `ann@x` as two
 * accounts would let one person be mistaken for another. Dots and `+tags` are kept: they are the provider's to
 * interpret, not ours. Undefined for what is no address.
 */
export function normalizeEmail(input: string): { address: string; key: string } | undefined {
  const address = input.trim().normalize('NFC');
  if ([...address].length > EMAIL_MAX_LENGTH) return undefined;
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (at < 1 || Buffer.byteLength(local) > LOCAL_PART_MAX_BYTES || !LOCAL_PART.test(local) || !DOMAIN.test(domain)) return undefined;
  return { address, key: emailKeyOf(address) };
}

/** The comparison form of an address (or of anything typed where one may be): NFKC, lower case. */
export function emailKeyOf(text: string): string {
  return text.trim().normalize('NFKC').toLowerCase();
}

/** A new, unverified address from what a person typed, or invalid_request saying what an address must be. */
export function validEmail(input: string): UserEmail {
  const email = normalizeEmail(input);
  if (!email) throw oauthError('invalid_request', 'email must be an email address like name@example.com');
  return { ...email, verified: false };
}

/** Whether what someone typed where a username or an address may go is meant as an address. */
export function looksLikeEmail(input: string): boolean {
  return input.includes('@') && normalizeEmail(input) !== undefined;
}

/**
 * The address a registration gives, as REGISTRATION_EMAIL wants it: undefined when none is given (or a blank field)
 * and none is required; invalid_request when one is required and missing, or given while registration takes none.
 */
export function registrationEmail(input: string | undefined, ask: 'optional' | 'required' | 'off'): string | undefined {
  const given = input === undefined || input.trim() === '' ? undefined : input;
  if (given === undefined && ask === 'required') throw oauthError('invalid_request', 'email is required: an email address like name@example.com');
  if (given !== undefined && ask === 'off') throw oauthError('invalid_request', 'registration takes no email address here (REGISTRATION_EMAIL=off)');
  return given;
}
