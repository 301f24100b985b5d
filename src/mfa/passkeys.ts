import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { AuditContext, AuditLog, PasskeyFailure } from '../audit/audit-log.js';
import type { PasskeyRelyingParty } from '../config.js';
import type { PasskeyChallengeRecord, PasskeyChallengeStore, PasskeyRecord, PasskeyStore, UserRecord } from '../store/types.js';
import { hashSecret } from '../tokens/secret.js';

/** Seconds a WebAuthn challenge waits for its answer (WebAuthn Level 3 §15.4 suggests minutes, not hours). */
export const PASSKEY_CHALLENGE_TTL = 300;
/** The longest name a person may give a passkey. */
export const PASSKEY_NAME_MAX_LENGTH = 64;
/** The most passkeys one account may hold: enough for every device a person has, few enough to list. */
export const MAX_PASSKEYS = 20;

/**
 * RFC 8176 methods of a passkey sign-in with user verification: the key's possession (`hwk` for a device-bound key,
 * `swk` for a synced one, which lives in software the sync provider holds) and the verified user (a PIN or a biometric
 * the authenticator checked), two factors: `mfa`.
 */
export function passkeyAmr(passkey: Pick<PasskeyRecord, 'backupEligible'>): string[] {
  return [passkey.backupEligible ? 'swk' : 'hwk', 'mfa'];
}

/** What came of a passkey ceremony: the passkey (added, or signed in with), or why not. */
export type PasskeyOutcome = { ok: true; passkey: PasskeyRecord } | { ok: false; reason: PasskeyFailure | 'known' | 'too_many' };

/** What PasskeyService works with. */
export interface PasskeyDependencies {
  store: PasskeyStore;
  challenges: PasskeyChallengeStore;
  audit: AuditLog;
  clock: () => number;
  /** Where passkeys belong (config.passkeys); undefined: passkeys are off. */
  relyingParty: PasskeyRelyingParty | undefined;
  /** What authenticators show a passkey is for: the product name, or the issuer's host. */
  rpName: string;
}

/** The challenge of a browser's answer (its clientDataJSON), or undefined when the answer is not one. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | undefined {
  const encoded = response.response?.clientDataJSON;
  if (typeof encoded !== 'string' || encoded.length > 8192) return undefined;
  try {
    const challenge = (JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** A WebAuthn user handle (user.id) of an account: its id's bytes. Opaque, no name or address in it (WebAuthn Level 3 §14.6.1). */
function userHandleOf(userId: string): Uint8Array {
  return new TextEncoder().encode(userId);
}

/**
 * Passkeys (WebAuthn Level 3 through @simplewebauthn/server, which parses CBOR and checks signatures): adding one to
 * an account, and proving one at sign-in, each a ceremony with a single-use challenge kept in the store and bound to
 * the browser that asked for it. User verification is required both ways, so a passkey sign-in is multi-factor on its
 * own. The signature counter moves forward in one atomic store step; a counter that does not is refused as a
 * possible clone. Independent of HTTP.
 */
export class PasskeyService {
  constructor(private readonly deps: PasskeyDependencies) {}

  /** Whether passkeys can be used here (an issuer on an IP address and no PASSKEY_RP_ID: no). */
  get enabled(): boolean {
    return this.deps.relyingParty !== undefined;
  }

  /** The user's passkeys, oldest first. */
  list(userId: string): Promise<PasskeyRecord[]> {
    return this.deps.store.list(userId);
  }

  /** Starts adding a passkey named `name` to the account, for the browser holding `binding`: the options for navigator.credentials.create(). */
  async addOptions(user: UserRecord, name: string, binding: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const rp = this.#relyingParty();
    const existing = await this.deps.store.list(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.deps.rpName,
      rpID: rp.rpId,
      userName: user.username,
      userID: userHandleOf(user.id) as Uint8Array<ArrayBuffer>,
      userDisplayName: user.username,
      attestationType: 'none',
      // The authenticator refuses to make a second passkey for an account it already holds one of.
      excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
      // A discoverable credential (sign-in without a username) that verifies its user (WebAuthn Level 3 §5.4.6).
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      timeout: PASSKEY_CHALLENGE_TTL * 1000,
    });
    await this.#keep(options.challenge, { purpose: 'add', binding: hashSecret(binding), userId: user.id, name });
    return options;
  }

  /** Completes adding a passkey with the browser's answer (a RegistrationResponseJSON); the challenge is spent either way. */
  async add(user: UserRecord, answer: unknown, binding: string, context: AuditContext): Promise<PasskeyOutcome> {
    const rp = this.#relyingParty();
    const challenge = await this.#take(answer, 'add', binding, user.id);
    if (!challenge) return this.#failed('expired', context);
    if ((await this.deps.store.list(user.id)).length >= MAX_PASSKEYS) return { ok: false, reason: 'too_many' };
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: answer as RegistrationResponseJSON,
        expectedChallenge: challenge.challenge,
        expectedOrigin: [...rp.origins],
        expectedRPID: rp.rpId,
        requireUserVerification: true,
      });
    } catch {
      return this.#failed('invalid', context);
    }
    if (!verified.verified) return this.#failed('invalid', context);
    const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
    const passkey: PasskeyRecord = {
      id: credential.id,
      userId: user.id,
      name: challenge.record.name ?? '',
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      backupEligible: credentialDeviceType === 'multiDevice',
      backedUp: credentialBackedUp,
      createdAt: Math.floor(this.deps.clock() / 1000),
      lastUsedAt: 0,
    };
    if (!(await this.deps.store.add(passkey))) return { ok: false, reason: 'known' };
    this.deps.audit.emit({ event: 'second_factor_added', factor: 'passkey', ...context, user_id: user.id });
    return { ok: true, passkey };
  }

  /**
   * Starts a passkey sign-in for the browser holding `binding`: the options for navigator.credentials.get(). Without a
   * user, any passkey of this service may answer (discoverable credentials, the browser's autofill included); with one
   * (the second step of a password sign-in), only theirs.
   */
  async signInOptions(binding: string, purpose: 'sign-in' | 'second-step', userId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const rp = this.#relyingParty();
    const allowed = userId === undefined ? [] : await this.deps.store.list(userId);
    const options = await generateAuthenticationOptions({
      rpID: rp.rpId,
      userVerification: 'required',
      allowCredentials: allowed.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
      timeout: PASSKEY_CHALLENGE_TTL * 1000,
    });
    await this.#keep(options.challenge, { purpose, binding: hashSecret(binding), ...(userId === undefined ? {} : { userId }) });
    return options;
  }

  /**
   * Checks a passkey's answer (an AuthenticationResponseJSON) to a sign-in challenge of this browser: the signature,
   * origin, RP id and user verification, the user handle, the backup eligibility it was registered with, and the
   * counter, which it moves on. The passkey signed in with, or why not.
   */
  async verify(answer: unknown, binding: string, purpose: 'sign-in' | 'second-step', context: AuditContext, userId?: string): Promise<PasskeyOutcome> {
    const rp = this.#relyingParty();
    const challenge = await this.#take(answer, purpose, binding, userId);
    if (!challenge) return this.#failed('expired', context);
    const response = answer as AuthenticationResponseJSON;
    const passkey = typeof response.id === 'string' && response.id.length <= 1400 ? await this.deps.store.find(response.id) : undefined;
    if (!passkey || (userId !== undefined && passkey.userId !== userId)) return this.#failed('unknown_passkey', context);
    const owner = { ...context, user_id: passkey.userId };
    // WebAuthn Level 3 §7.2 step 6: the user handle, when the authenticator gives one, names the passkey's owner.
    const handle = response.response?.userHandle;
    if (handle !== undefined && handle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url')) return this.#failed('unknown_passkey', owner);
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: [...rp.origins],
        expectedRPID: rp.rpId,
        // The counter is judged by the store, atomically, so two instances cannot both accept one value.
        credential: { id: passkey.id, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: 0, transports: passkey.transports },
        requireUserVerification: true,
      });
    } catch {
      return this.#failed('invalid', owner);
    }
    if (!verified.verified) return this.#failed('invalid', owner);
    const { newCounter, credentialDeviceType, credentialBackedUp } = verified.authenticationInfo;
    // §6.1.3: backup eligibility is fixed when the credential is made; a change means another credential under its id.
    if ((credentialDeviceType === 'multiDevice') !== passkey.backupEligible) return this.#failed('backup_eligibility_changed', owner);
    const usedAt = Math.floor(this.deps.clock() / 1000);
    const recorded = await this.deps.store.recordUse(passkey.userId, passkey.id, { counter: newCounter, backedUp: credentialBackedUp, usedAt });
    if (recorded === 'gone') return this.#failed('unknown_passkey', owner);
    if (recorded === 'stale_counter') return this.#failed('stale_counter', owner);
    return { ok: true, passkey: { ...passkey, counter: newCounter, backedUp: credentialBackedUp, lastUsedAt: usedAt } };
  }

  /** Renames one of the user's passkeys; false when it is none of theirs. */
  rename(userId: string, credentialId: string, name: string): Promise<boolean> {
    return this.deps.store.rename(userId, credentialId, name);
  }

  /** Removes one of the user's passkeys; false when it is none of theirs. */
  async remove(userId: string, credentialId: string, context: AuditContext): Promise<boolean> {
    const removed = await this.deps.store.remove(userId, credentialId);
    if (removed) this.deps.audit.emit({ event: 'second_factor_removed', factor: 'passkey', ...context, user_id: userId });
    return removed;
  }

  /** Forgets every passkey of the user. */
  clear(userId: string): Promise<void> {
    return this.deps.store.clear(userId);
  }

  #relyingParty(): PasskeyRelyingParty {
    if (!this.deps.relyingParty) throw new Error('passkeys are off: the issuer is on an IP address and PASSKEY_RP_ID is unset');
    return this.deps.relyingParty;
  }

  async #keep(challenge: string, record: PasskeyChallengeRecord): Promise<void> {
    await this.deps.challenges.create(hashSecret(challenge), record, PASSKEY_CHALLENGE_TTL * 1000);
  }

  /**
   * Spends the challenge an answer carries, once, whatever comes of the answer; undefined unless it was made for this
   * ceremony, this browser and this account.
   */
  async #take(
    answer: unknown,
    purpose: PasskeyChallengeRecord['purpose'],
    binding: string,
    userId: string | undefined,
  ): Promise<{ challenge: string; record: PasskeyChallengeRecord } | undefined> {
    if (typeof answer !== 'object' || answer === null) return undefined;
    const challenge = challengeOf(answer as { response?: { clientDataJSON?: unknown } });
    if (challenge === undefined || challenge.length > 512) return undefined;
    const record = await this.deps.challenges.take(hashSecret(challenge));
    if (!record || record.purpose !== purpose || record.binding !== hashSecret(binding) || record.userId !== userId) return undefined;
    return { challenge, record };
  }

  #failed(reason: PasskeyFailure, context: AuditContext): PasskeyOutcome {
    this.deps.audit.emit({ event: 'passkey_failed', reason, ...context });
    return { ok: false, reason };
  }
}
