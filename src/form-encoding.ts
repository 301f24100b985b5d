// application/x-www-form-urlencoded, which form bodies and the client credentials of HTTP Basic (RFC 6749 §2.3.1) share.

const NEEDS_DECODING = /[%+]/;

/**
 * Decodes one form-urlencoded name or value: `+` is a space, then percent-decoding as UTF-8 (WHATWG URL §5.1).
 * Undefined when the percent-encoding is malformed.
 */
export function decodeFormComponent(encoded: string): string | undefined {
  // Most parameters (tokens, grant types, ids, secrets) need no decoding: skip the copies.
  if (!NEEDS_DECODING.test(encoded)) return encoded;
  try {
    return decodeURIComponent(encoded.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
