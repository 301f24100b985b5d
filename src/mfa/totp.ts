import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Seconds a code stands for (RFC 6238 §5.2 recommends 30; every authenticator app uses it). */
export const TOTP_PERIOD = 30;
/** Digits of a code: what authenticator apps show. */
export const TOTP_DIGITS = 6;
/**
 * Steps accepted either side of now: one (30 s each way). RFC 6238 §5.2 recommends at most one step of allowance for
 * network delay; more would widen the window a stolen or guessed code works in for little use to a person whose phone
 * keeps network time.
 */
export const TOTP_SKEW_STEPS = 1;
/** Bytes of a new secret: 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends. */
const SECRET_BYTES = 20;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, without padding: how authenticator apps take a secret. */
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes RFC 4648 base32 (any case, spaces and padding ignored); undefined for anything else. */
export function base32Decode(text: string): Buffer | undefined {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) return undefined;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new TOTP secret, base32. */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(SECRET_BYTES));
}

/** HOTP (RFC 4226 §5.3): HMAC-SHA-1 of the counter, dynamically truncated to `digits` decimal digits. */
export function hotp(key: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

/** The TOTP time step of a moment (RFC 6238 §4.2: T = floor((now − T0) / X), T0 = 0). */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD);
}

/** The code of a step, for a base32 secret. */
export function totpCode(secret: string, step: number): string {
  return hotp(base32Decode(secret) ?? Buffer.alloc(0), step);
}

/**
 * The step whose code `code` is, within TOTP_SKEW_STEPS of now, or undefined. Every candidate is compared in
 * constant time. The caller still refuses a step at or before the last one accepted (a replay: RFC 6238 §5.2).
 */
export function matchTotp(secret: string, code: string, nowMs: number): number | undefined {
  const typed = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(typed)) return undefined;
  const key = base32Decode(secret);
  if (!key) return undefined;
  const now = totpStep(nowMs);
  let matched: number | undefined;
  for (let step = now - TOTP_SKEW_STEPS; step <= now + TOTP_SKEW_STEPS; step += 1) {
    if (timingSafeEqual(Buffer.from(hotp(key, step)), Buffer.from(typed)) && matched === undefined) matched = step;
  }
  return matched;
}

/** The `otpauth://` URI an authenticator app scans (Google Authenticator's Key Uri Format, which every app reads). */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({ secret, issuer, algorithm: 'SHA1', digits: String(TOTP_DIGITS), period: String(TOTP_PERIOD) });
  return `otpauth://totp/${label}?${query}`;
}
