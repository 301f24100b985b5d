import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';

/** Smallest RSA modulus the service accepts (RFC 7518 §3.3, RFC 8725 §3.5). */
export const MIN_RSA_BITS = 2048;

/** The public half of a signing key as published in the JWKS (RFC 7517 §4, public members only). */
export interface PublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

/** A private key read from KEYS_DIR. */
export interface KeyFile {
  kid: string;
  file: string;
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

/** Reads a PKCS#8 PEM RSA private key and derives its public JWK, whose kid is the RFC 7638 thumbprint. */
export async function readKeyFile(dir: string, file: string): Promise<KeyFile> {
  const path = join(dir, file);
  const [pem, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyFileError(file, 'is not a readable PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new KeyFileError(file, `is a ${privateKey.asymmetricKeyType} key; RS256 needs an RSA key`);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new KeyFileError(file, `is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
  const publicKey = createPublicKey(privateKey);
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (typeof n !== 'string' || typeof e !== 'string') throw new KeyFileError(file, 'has no RSA public parameters');
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n, e }, 'sha256');
  return { kid, file, bits, mtimeMs: info.mtimeMs, privateKey, publicKey, jwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } };
}

/** Generates an RSA key, writes it as `<kid>.pem` (PKCS#8, mode 0600, never overwriting) and returns it. */
export async function generateKeyFile(dir: string, bits = MIN_RSA_BITS): Promise<KeyFile> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const { n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n: n!, e: e! }, 'sha256');
  const file = `${kid}.pem`;
  const handle = await open(join(dir, file), 'wx', 0o600);
  try {
    await handle.writeFile(pem);
  } finally {
    await handle.close();
  }
  return readKeyFile(dir, file);
}
