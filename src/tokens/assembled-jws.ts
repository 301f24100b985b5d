import { sign, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from '../keys/key-file.js';

/**
 * An optimisation: the compact JWS of a token assembled by hand (RFC 7515 §7.1) and signed with node:crypto on the
 * libuv thread pool, instead of through jose's SignJWT. It buys CPU on the token endpoint, whose cost is one
 * signature and little else; jose stays the verifier of record, in the service and in every test. Measure it with
 * `node bench/ab.mjs DIST_A DIST_B --scenarios client_credentials`.
 */

// The protected header is the same for every token of a key: encoded once per kid and typ.
const encodedHeaders = new Map<string, string>();

function encodedHeader(alg: SigningAlgorithm, kid: string, typ: string): string {
  const cacheKey = `${kid} ${typ}`;
  let header = encodedHeaders.get(cacheKey);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg, typ, kid })).toString('base64url');
    encodedHeaders.set(cacheKey, header);
  }
  return header;
}

/**
 * The signature of the JWS signing input, on the libuv thread pool, off the event loop: RSASSA-PKCS1-v1_5 with
 * SHA-256 for RS256 (RFC 7518 §3.3), ECDSA P-256 with SHA-256 for ES256, as the 64-byte R || S (RFC 7518 §3.4,
 * not DER).
 */
function signature(input: string, alg: SigningAlgorithm, privateKey: KeyObject): Promise<string> {
  const key = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input), key, (error, signed) => (error ? reject(error) : resolve(signed.toString('base64url'))));
  });
}

/** Signs claims as a compact JWS with header `{ alg, typ, kid }`, alg being the key's own (RS256 or ES256). */
export async function signJws(
  claims: Record<string, unknown>,
  key: { kid: string; alg: SigningAlgorithm; privateKey: KeyObject },
  typ: string,
): Promise<string> {
  const input = `${encodedHeader(key.alg, key.kid, typ)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${await signature(input, key.alg, key.privateKey)}`;
}
