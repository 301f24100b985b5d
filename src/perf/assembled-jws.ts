import { sign, type KeyObject } from 'node:crypto';

/**
 * An optimisation: the compact JWS of an access token assembled by hand (RFC 7515 §7.1) and signed with
 * node:crypto on the libuv thread pool, instead of through jose's SignJWT. It buys CPU on the token endpoint,
 * whose cost is one RS256 signature and little else; jose stays the verifier of record, in the service and in
 * every test. Measure it with `node bench/ab.mjs DIST_A DIST_B --scenarios client_credentials`.
 */

// The protected header is the same for every token of a key: encoded once per kid.
const encodedHeaders = new Map<string, string>();

function encodedHeader(kid: string, typ: string): string {
  let header = encodedHeaders.get(`${kid} ${typ}`);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: 'RS256', typ, kid })).toString('base64url');
    encodedHeaders.set(`${kid} ${typ}`, header);
  }
  return header;
}

/** RSASSA-PKCS1-v1_5 with SHA-256 (RS256, RFC 7518 §3.3) on the libuv thread pool, off the event loop. */
function rs256(input: string, privateKey: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input), privateKey, (error, signature) => (error ? reject(error) : resolve(signature.toString('base64url'))));
  });
}

/** Signs claims as a compact RS256 JWS with header `{ alg: RS256, typ, kid }`. */
export async function signRs256Jws(claims: Record<string, unknown>, key: { kid: string; privateKey: KeyObject }, typ: string): Promise<string> {
  const input = `${encodedHeader(key.kid, typ)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${await rs256(input, key.privateKey)}`;
}
