import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** What an authenticator is asked: the options the service answered (WebAuthn Level 3 JSON). */
interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}
interface RequestOptions {
  challenge: string;
  rpId?: string;
}

/** Flags of authenticator data (WebAuthn Level 3 §6.1). */
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

const base64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/**
 * A software authenticator for tests without a browser: a real P-256 key, real authenticator data and ES256
 * signatures over them (WebAuthn Level 3 §6.1, §6.3.3), `none` attestation. What it answers is what a browser would
 * post; nothing of the service is faked. Its flags and counter can be set to what a broken or cloned one would send.
 */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly #keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  counter = 0;
  userHandle: string | undefined;

  constructor(
    readonly origin: string,
    readonly flags: { userVerified?: boolean; backupEligible?: boolean; backedUp?: boolean } = {},
  ) {}

  /** Answers navigator.credentials.create() (a RegistrationResponseJSON). */
  create(options: CreationOptions): object {
    this.userHandle = options.user.id;
    const clientData = this.#clientData('webauthn.create', options.challenge);
    const authData = this.#authenticatorData(options.rp.id ?? new URL(this.origin).hostname, true);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]) as never,
    );
    return {
      id: base64url(this.credentialId),
      rawId: base64url(this.credentialId),
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: base64url(clientData), attestationObject: base64url(attestationObject), transports: ['internal'] },
    };
  }

  /** Answers navigator.credentials.get() (an AuthenticationResponseJSON), its counter moved on first. */
  get(options: RequestOptions, overrides: { origin?: string; userHandle?: string } = {}): object {
    this.counter += 1;
    const clientData = this.#clientData('webauthn.get', options.challenge, overrides.origin);
    const authData = this.#authenticatorData(options.rpId ?? new URL(this.origin).hostname, false);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.#keys.privateKey);
    const userHandle = overrides.userHandle ?? this.userHandle;
    return {
      id: base64url(this.credentialId),
      rawId: base64url(this.credentialId),
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: base64url(clientData),
        authenticatorData: base64url(authData),
        signature: base64url(signature),
        ...(userHandle === undefined ? {} : { userHandle }),
      },
    };
  }

  #clientData(type: string, challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  #authenticatorData(rpId: string, attested: boolean): Buffer {
    const { userVerified = true, backupEligible = false, backedUp = false } = this.flags;
    const flags = UP | (userVerified ? UV : 0) | (backupEligible ? BE : 0) | (backedUp ? BS : 0) | (attested ? AT : 0);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const head = Buffer.concat([sha256(rpId), Buffer.from([flags]), counter]);
    if (!attested) return head;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    return Buffer.concat([head, Buffer.alloc(16), idLength, this.credentialId, this.#cosePublicKey()]);
  }

  /** The public key as COSE_Key (RFC 9053 §7.1.1): EC2, ES256, P-256, x and y. */
  #cosePublicKey(): Uint8Array {
    const jwk = this.#keys.publicKey.export({ format: 'jwk' });
    const key = new Map<number, unknown>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
    ]);
    return isoCBOR.encode(key as never);
  }
}
