import t from 'tap';
import { hashRefreshToken, openSuccessor, sealSuccessor } from '../../src/tokens/refresh-token.js';
import { generateSecret } from '../../src/tokens/secret.js';

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ b[i]!));
}

t.test('a refresh token is 32 CSPRNG bytes in base64url, and the store keeps only its SHA-256 (RFC 6749 §10.10)', async (t) => {
  const token = generateSecret();
  t.match(token, /^[A-Za-z0-9_-]{43}$/);
  t.not(generateSecret(), token);
  t.equal(hashRefreshToken(token).length, 43);
  t.not(hashRefreshToken(token), token);
});

t.test('a sealed successor opens with its predecessor, and only to the token the store holds the hash of', async (t) => {
  const predecessor = generateSecret();
  const successor = generateSecret();
  const sealed = sealSuccessor(predecessor, successor);
  t.not(sealed, successor, 'the seal is not the token');
  t.equal(openSuccessor(predecessor, sealed, hashRefreshToken(successor)), successor);
  t.equal(openSuccessor(generateSecret(), sealed, hashRefreshToken(successor)), undefined, 'another token cannot open it');
  t.equal(openSuccessor(predecessor, sealed, hashRefreshToken(generateSecret())), undefined, 'it opens only to the current token');
  const tampered = Buffer.from(sealed, 'base64url');
  tampered[0]! ^= 1;
  t.equal(openSuccessor(predecessor, tampered.toString('base64url'), hashRefreshToken(successor)), undefined, 'an altered seal yields nothing');
  t.equal(openSuccessor(predecessor, sealed.slice(0, 20), hashRefreshToken(successor)), undefined, 'a truncated seal yields nothing');
  t.throws(() => sealSuccessor(predecessor, 'short'), /generated refresh token/);
});

t.test('what the store holds (both hashes and the seal) does not give the successor away', async (t) => {
  const predecessor = generateSecret();
  const successor = generateSecret();
  const sealed = Buffer.from(sealSuccessor(predecessor, successor), 'base64url');
  // The pad is not the predecessor's stored hash (domain separation): XORing the seal with it yields no token.
  const withStoredHash = xor(sealed, Buffer.from(hashRefreshToken(predecessor), 'base64url')).toString('base64url');
  t.not(withStoredHash, successor);
  t.not(hashRefreshToken(withStoredHash), hashRefreshToken(successor));
  // Each predecessor seals with its own pad: the same successor sealed twice gives unrelated seals.
  t.not(sealSuccessor(generateSecret(), successor), sealSuccessor(generateSecret(), successor));
});
