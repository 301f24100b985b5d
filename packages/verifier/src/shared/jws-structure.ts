/**
 * Checks of a compact JWS that jose leaves to the caller (RFC 7515 §7.1, RFC 8725 §3.8): exactly three
 * non-empty base64url segments with no padding or foreign characters (Node's base64url decoder would
 * silently skip them), each spelled canonically (RFC 4648 §3.5), and a header and payload that are JSON objects without duplicate member names
 * (RFC 7515 §5.2 lets a parser reject them; two readings of one token are a classic confusion).
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Longest token the service reads: far above any token it issues, far below anything costly. */
export const MAX_TOKEN_LENGTH = 8192;

/** True when a JSON text has an object with two members of the same name, at any depth. */
export function hasDuplicateKeys(json: string): boolean {
  const stack: Array<Set<string> | null> = [];
  let i = 0;
  let expectKey = false;
  while (i < json.length) {
    const c = json[i]!;
    if (c === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (expectKey && top) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.has(key)) return true;
        top.add(key);
      }
      expectKey = false;
      i = end + 1;
      continue;
    }
    if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') expectKey = stack.at(-1) != null;
    i += 1;
  }
  return false;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether a base64url segment without padding is the one canonical spelling of its bytes (RFC 7515 §2, RFC 4648
 * §3.5): a length that leaves one lone character encodes no whole byte, and a last character that carries fewer than 6
 * bits must leave the unused low bits zero. Otherwise up to 16 strings decode to the same signature, and a cache or
 * denylist keyed by the token's string would take them for different tokens.
 */
export function isCanonicalBase64url(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1]!);
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

function decodeSegment(segment: string): string {
  return Buffer.from(segment, 'base64url').toString('utf8');
}

/**
 * Whether a token has the structure of a compact JWS whose header and payload are unambiguous JSON objects, each of
 * its three segments in its canonical base64url spelling.
 */
export function isWellFormedJws(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return false;
  const [header, payload, signature] = token.split('.') as [string, string, string];
  if (!isCanonicalBase64url(header) || !isCanonicalBase64url(payload) || !isCanonicalBase64url(signature)) return false;
  for (const segment of [header, payload]) {
    const json = decodeSegment(segment);
    try {
      const value: unknown = JSON.parse(json);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    } catch {
      return false;
    }
    if (hasDuplicateKeys(json)) return false;
  }
  return true;
}
