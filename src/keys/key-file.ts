import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '@tokensmith/verifier/shared';

export { SIGNING_ALGORITHMS, type SigningAlgorithm };

/** Smallest RSA modulus the service accepts (RFC 7518 §3.3, RFC 8725 §3.5). */
export const MIN_RSA_BITS = 2048;

/** The one curve of ES256 (RFC 7518 §3.4), by its OpenSSL name. */
const P256 = 'prime256v1';

/** The public half of an RS256 signing key as published in the JWKS (RFC 7517 §4, RFC 7518 §6.3, public members only). */
export interface RsaPublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

/** The public half of an ES256 signing key as published in the JWKS (RFC 7518 §6.2, public members only). */
export interface EcPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** A published key; its `alg` is the one algorithm it verifies (RFC 8725 §3.1). */
export type PublicJwk = RsaPublicJwk | EcPublicJwk;

/** A private key read from KEYS_DIR. */
export interface KeyFile {
  kid: string;
  alg: SigningAlgorithm;
  file: string;
  /** The RSA modulus length, or the EC curve's size. */
  bits: number;
  mtimeMs: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

/** Raised for a key file the service cannot use; the message names the file, never its content. */
export class KeyFileError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'KeyFileError';
  }
}

/** The `*.pem` files in a folder, sorted by name. */
export async function listKeyFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((name) => name.endsWith('.pem')).sort();
}

/** The public JWK of a usable private key (RSA of at least 2048 bits for RS256, P-256 for ES256) without its kid. */
function publicParameters(
  file: string,
  privateKey: KeyObject,
  publicKey: KeyObject,
): { alg: SigningAlgorithm; bits: number; jwk: Omit<RsaPublicJwk, 'kid'> | Omit<EcPublicJwk, 'kid'> } {
  const publicJwk = publicKey.export({ format: 'jwk' });
  if (privateKey.asymmetricKeyType === 'rsa') {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new KeyFileError(file, `is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
    const { n, e } = publicJwk;
    if (typeof n !== 'string' || typeof e !== 'string') throw new KeyFileError(file, 'has no RSA public parameters');
    return { alg: 'RS256', bits, jwk: { kty: 'RSA', n, e, alg: 'RS256', use: 'sig' } };
  }
  if (privateKey.asymmetricKeyType === 'ec') {
    const curve = privateKey.asymmetricKeyDetails?.namedCurve;
    if (curve !== P256) throw new KeyFileError(file, `is an EC key on ${curve ?? 'an unnamed curve'}; ES256 needs P-256`);
    const { x, y } = publicJwk;
    if (typeof x !== 'string' || typeof y !== 'string') throw new KeyFileError(file, 'has no EC public parameters');
    return { alg: 'ES256', bits: 256, jwk: { kty: 'EC', crv: 'P-256', x, y, alg: 'ES256', use: 'sig' } };
  }
  throw new KeyFileError(file, `is a ${privateKey.asymmetricKeyType} key; RS256 needs an RSA key and ES256 a P-256 EC key`);
}

/** Reads a PKCS#8 PEM private key (RSA or P-256) and derives its public JWK, whose kid is the RFC 7638 thumbprint. */
export async function readKeyFile(dir: string, file: string): Promise<KeyFile> {
  const path = join(dir, file);
  const [pem, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyFileError(file, 'is not a readable PEM private key');
  }
  const publicKey = createPublicKey(privateKey);
  const { alg, bits, jwk } = publicParameters(file, privateKey, publicKey);
  // RFC 7638 §3.2: the thumbprint covers only the required members (calculateJwkThumbprint picks them by kty).
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { kid, alg, file, bits, mtimeMs: info.mtimeMs, privateKey, publicKey, jwk: { ...jwk, kid } as PublicJwk };
}

/** A new private key for an algorithm: RSA-2048 for RS256, P-256 for ES256. */
function newPrivateKey(alg: SigningAlgorithm): KeyObject {
  return alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: P256 }).privateKey : generateKeyPairSync('rsa', { modulusLength: MIN_RSA_BITS }).privateKey;
}

/** Generates a key for `alg`, writes it as `<kid>.pem` (PKCS#8, mode 0600, never overwriting) and returns it. */
export async function generateKeyFile(dir: string, alg: SigningAlgorithm = 'RS256'): Promise<KeyFile> {
  const privateKey = newPrivateKey(alg);
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const kid = await calculateJwkThumbprint(publicParameters('(new key)', privateKey, createPublicKey(privateKey)).jwk, 'sha256');
  const file = `${kid}.pem`;
  const handle = await open(join(dir, file), 'wx', 0o600);
  try {
    await handle.writeFile(pem);
  } finally {
    await handle.close();
  }
  return readKeyFile(dir, file);
}
