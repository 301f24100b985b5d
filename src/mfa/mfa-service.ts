import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import type { Config, MfaPolicy } from '../config.js';
import { oauthError } from '../errors.js';
import type { MfaStore, SecondStepRecord, SecondStepStore, UserRecord } from '../store/types.js';
import { generateSecret, hashSecret } from '../tokens/secret.js';
import type { LoginThrottle } from '../users/login-throttle.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import { matchTotp, newTotpSecret, otpauthUri } from './totp.js';
import type { SecretBox } from './secret-box.js';
import { AMR_PASSWORD } from '../tokens/authentication-context.js';
import { passkeyAmr, type PasskeyService } from './passkeys.js';
import type { FactorKind } from '../mail/templates.js';

/** Seconds a half-done sign-in waits for its second factor. */
export const SECOND_STEP_TTL = 300;
/** Seconds an authenticator app being set up waits for its first code. */
const ENROLMENT_TTL = 600;
/** Recovery codes left at which the owner is told to make new ones. */
export const FEW_RECOVERY_CODES = 2;

/** RFC 8176 methods of a password and a one-time code (an app's or a recovery code): more than one factor. */
/** What a code (an authenticator app's, a recovery code) adds to the first factor (RFC 8176). */
const AMR_CODE = ['otp', 'mfa'];

/** A passkey as its owner and operators see it: never its key. */
export interface PasskeyView {
  id: string;
  name: string;
  /** Whether it may be synced between devices (a backup-eligible credential) rather than bound to one. */
  synced: boolean;
  /** Epoch seconds; lastUsedAt 0 before the first sign-in with it. */
  createdAt: number;
  lastUsedAt: number;
}

/** A user's factors as the account page and operators see them: never a secret. */
export interface FactorsView {
  totp: { createdAt: number } | undefined;
  passkeys: PasskeyView[];
  recoveryCodesLeft: number;
}

/** What came of a second step: the sign-in to start (who, how proven, where to go on), or why not. */
export type SecondStepOutcome =
  | { ok: true; userId: string; amr: string[]; returnTo: string | undefined; authenticatedFor: string | undefined; recoveryCodesLeft?: number }
  | { ok: false; reason: 'wrong_code' | 'expired' | 'passkey_refused' };

/** What MfaService works with. */
export interface MfaDependencies {
  store: MfaStore;
  steps: SecondStepStore;
  /** Counts wrong codes per account as wrong passwords are counted (429 when it must wait). */
  throttle: LoginThrottle;
  audit: AuditLog;
  config: Pick<Config, 'issuer' | 'pages' | 'mfaPolicy'>;
  clock: () => number;
  /** Seals the apps' keys at rest (MFA_SECRET_KEY). */
  box: SecretBox;
  /** The account's passkeys: a second factor after a password, and a sign-in of their own. */
  passkeys: PasskeyService;
  /** Tells the owner by mail (a factor added or removed, few recovery codes left); a no-op without mail. */
  notify: (
    user: UserRecord,
    what: 'factor_added' | 'factor_removed' | 'few_recovery_codes',
    detail?: { way?: 'by_owner' | 'by_operator'; left?: number; factor?: FactorKind },
  ) => Promise<void>;
}

/**
 * Second factors: an authenticator app (TOTP, RFC 6238), passkeys and recovery codes. A password sign-in of an account
 * that has an app or a passkey stops half way (a second step behind a cookie of its own) until a code from the app, or a recovery code,
 * completes it; any instance may finish a step another began. Wrong codes count on the account's login throttle as
 * wrong passwords do, a code is accepted once (no step at or before the last accepted one), and each recovery code
 * works once. Independent of HTTP.
 */
export class MfaService {
  constructor(private readonly deps: MfaDependencies) {}

  /** The policy (MFA): second factors optional, required of everyone, or off. */
  get policy(): MfaPolicy {
    return this.deps.config.mfaPolicy;
  }

  /** Whether a password sign-in of this user needs a second step: the account has an authenticator app or a passkey (and MFA is not off). */
  async needsSecondStep(userId: string): Promise<boolean> {
    return this.policy !== 'off' && (await this.hasSecondFactor(userId));
  }

  /** Whether the account has an authenticator app or a passkey. */
  async hasSecondFactor(userId: string): Promise<boolean> {
    // Both reads at once: the password grant asks this on every sign-in, and one round trip is what it had.
    const [totp, passkeys] = await Promise.all([this.deps.store.totp(userId), this.deps.passkeys.list(userId)]);
    return totp !== undefined || passkeys.length > 0;
  }

  /** The user's factors, without their secrets. */
  async factors(userId: string): Promise<FactorsView> {
    const [totp, passkeys, recoveryCodesLeft] = await Promise.all([
      this.deps.store.totp(userId),
      this.deps.passkeys.list(userId),
      this.deps.store.recoveryCodesLeft(userId),
    ]);
    const shown = passkeys.map(({ id, name, backupEligible, createdAt, lastUsedAt }) => ({ id, name, synced: backupEligible, createdAt, lastUsedAt }));
    return { totp: totp && { createdAt: totp.createdAt }, passkeys: shown, recoveryCodesLeft };
  }

  /** The options of a passkey answer to a second step (only the account's own passkeys may answer); undefined when no step waits. */
  async secondStepPasskeyOptions(secret: string) {
    const step = await this.pendingStep(secret);
    return step && this.deps.passkeys.signInOptions(secret, 'second-step', step.userId);
  }

  /** Completes a second step with one of the account's passkeys (its answer to secondStepPasskeyOptions). */
  async completeWithPasskey(secret: string, answer: unknown, context: AuditContext): Promise<SecondStepOutcome> {
    const step = await this.pendingStep(secret);
    if (!step) return { ok: false, reason: 'expired' };
    const proven = await this.deps.passkeys.verify(answer, secret, 'second-step', { ...context, user_id: step.userId }, step.userId);
    if (!proven.ok) return { ok: false, reason: 'passkey_refused' };
    const finished = await this.#finish(secret, step);
    return finished.ok ? { ...finished, amr: [...step.amr, ...passkeyAmr(proven.passkey)] } : finished;
  }

  /**
   * After a passkey was added: the owner is told, and when it is the account's first second factor, a first set of
   * recovery codes is made (answered once, to show once).
   */
  async passkeyAdded(user: UserRecord): Promise<{ recoveryCodes: string[] | undefined }> {
    const [totp, passkeys] = await Promise.all([this.deps.store.totp(user.id), this.deps.passkeys.list(user.id)]);
    let recoveryCodes: string[] | undefined;
    if (!totp && passkeys.length === 1) {
      const { codes, hashes } = newRecoveryCodes();
      await this.deps.store.setRecoveryCodes(user.id, hashes);
      recoveryCodes = codes;
    }
    await this.deps.notify(user, 'factor_added', { factor: 'passkey' });
    return { recoveryCodes };
  }

  /** Removes one of the user's passkeys (the owner, or an operator) and tells them; with the last factor gone, the recovery codes go too. */
  async removePasskey(user: UserRecord, credentialId: string, context: AuditContext, way: 'by_owner' | 'by_operator' = 'by_owner'): Promise<boolean> {
    if (!(await this.deps.passkeys.remove(user.id, credentialId, context))) return false;
    if (!(await this.hasSecondFactor(user.id))) await this.deps.store.setRecoveryCodes(user.id, []);
    await this.deps.notify(user, 'factor_removed', { way, factor: 'passkey' });
    return true;
  }

  /** Starts the second step of a sign-in whose first factor (a password, a provider) was right; answers the secret of its cookie. */
  async beginSecondStep(
    user: UserRecord,
    next: { returnTo: string | undefined; authenticatedFor: string | undefined },
    firstFactor: readonly string[] = AMR_PASSWORD,
  ): Promise<string> {
    const secret = generateSecret();
    const record: SecondStepRecord = {
      userId: user.id,
      amr: [...firstFactor],
      createdAt: Math.floor(this.deps.clock() / 1000),
      ...(next.returnTo === undefined ? {} : { returnTo: next.returnTo }),
      ...(next.authenticatedFor === undefined ? {} : { authenticatedFor: next.authenticatedFor }),
    };
    await this.deps.steps.create(hashSecret(secret), record, SECOND_STEP_TTL * 1000);
    return secret;
  }

  /** The second step a cookie stands for, if it lives. */
  pendingStep(secret: string | undefined): Promise<SecondStepRecord | undefined> {
    return secret === undefined || secret === '' ? Promise.resolve(undefined) : this.deps.steps.get(hashSecret(secret));
  }

  /** Completes a second step with a code from the authenticator app (throttled; a code accepted once). */
  async completeWithCode(secret: string, code: string, context: AuditContext): Promise<SecondStepOutcome> {
    const step = await this.pendingStep(secret);
    if (!step) return { ok: false, reason: 'expired' };
    const totp = await this.deps.store.totp(step.userId);
    if (!totp) return { ok: false, reason: 'expired' };
    const key = throttleKey(step.userId);
    await this.deps.throttle.reserve(key);
    const matched = matchTotp(this.deps.box.open(totp.secret, step.userId), code, this.deps.clock());
    if (matched === undefined || !(await this.deps.store.useTotpStep(step.userId, matched))) {
      this.deps.audit.emit({ event: 'second_factor_failed', factor: 'totp', ...context, user_id: step.userId });
      return { ok: false, reason: 'wrong_code' };
    }
    await this.deps.throttle.succeed(key);
    return this.#finish(secret, step);
  }

  /** Completes a second step with a recovery code, which is then spent; the owner is told when few remain. */
  async completeWithRecoveryCode(
    secret: string,
    code: string,
    context: AuditContext,
    user: (id: string) => Promise<UserRecord | undefined>,
  ): Promise<SecondStepOutcome> {
    const step = await this.pendingStep(secret);
    if (!step) return { ok: false, reason: 'expired' };
    const key = throttleKey(step.userId);
    await this.deps.throttle.reserve(key);
    const left = await this.deps.store.useRecoveryCode(step.userId, hashRecoveryCode(code));
    if (left === undefined) {
      this.deps.audit.emit({ event: 'second_factor_failed', factor: 'recovery_code', ...context, user_id: step.userId });
      return { ok: false, reason: 'wrong_code' };
    }
    await this.deps.throttle.succeed(key);
    this.deps.audit.emit({ event: 'recovery_code_used', left, ...context, user_id: step.userId });
    const owner = left <= FEW_RECOVERY_CODES ? await user(step.userId) : undefined;
    if (owner) await this.deps.notify(owner, 'few_recovery_codes', { left });
    const finished = await this.#finish(secret, step);
    return finished.ok ? { ...finished, recoveryCodesLeft: left } : finished;
  }

  /** Starts setting up an authenticator app: a new secret, kept until a code confirms it, and the URI its QR code shows. */
  async beginEnrolment(user: UserRecord): Promise<{ secret: string; uri: string }> {
    if (this.policy === 'off') throw oauthError('not_found', 'second factors are off here (MFA=off)');
    const secret = newTotpSecret();
    await this.deps.store.setPendingTotp(user.id, this.deps.box.seal(secret, user.id), ENROLMENT_TTL * 1000);
    const issuer = this.deps.config.pages.productName ?? new URL(this.deps.config.issuer).host;
    return { secret, uri: otpauthUri(issuer, user.username, secret) };
  }

  /** The secret of the app being set up, to show again beside a wrong code. */
  async pendingEnrolment(user: UserRecord): Promise<string | undefined> {
    const sealed = await this.deps.store.pendingTotp(user.id);
    return sealed === undefined ? undefined : this.deps.box.open(sealed, user.id);
  }

  /**
   * Confirms the app being set up with a code from it (throttled): it becomes the account's second factor, a new set of
   * recovery codes is made (answered once, to show once), and the owner is told. Undefined for a wrong code or no setup.
   */
  async confirmEnrolment(user: UserRecord, code: string, context: AuditContext): Promise<{ recoveryCodes: string[] } | undefined> {
    const secret = await this.pendingEnrolment(user);
    if (secret === undefined) return undefined;
    const key = throttleKey(user.id);
    await this.deps.throttle.reserve(key);
    const step = matchTotp(secret, code, this.deps.clock());
    if (step === undefined) return undefined;
    await this.deps.throttle.succeed(key);
    await this.deps.store.setTotp(user.id, { secret: this.deps.box.seal(secret, user.id), createdAt: Math.floor(this.deps.clock() / 1000), lastStep: step });
    const { codes, hashes } = newRecoveryCodes();
    await this.deps.store.setRecoveryCodes(user.id, hashes);
    this.deps.audit.emit({ event: 'second_factor_added', factor: 'totp', ...context, user_id: user.id });
    await this.deps.notify(user, 'factor_added', { factor: 'totp' });
    return { recoveryCodes: codes };
  }

  /** A new set of recovery codes (the old ones stop working), for an account with an app; answered once. */
  async regenerateRecoveryCodes(user: UserRecord, context: AuditContext): Promise<string[] | undefined> {
    if (!(await this.hasSecondFactor(user.id))) return undefined;
    const { codes, hashes } = newRecoveryCodes();
    await this.deps.store.setRecoveryCodes(user.id, hashes);
    this.deps.audit.emit({ event: 'recovery_codes_renewed', ...context, user_id: user.id });
    return codes;
  }

  /** Removes the authenticator app (the owner, or an operator); with no passkey left, the recovery codes go too. False when there was none. */
  async removeApp(user: UserRecord, context: AuditContext, way: 'by_owner' | 'by_operator' = 'by_owner'): Promise<boolean> {
    if (!(await this.deps.store.removeTotp(user.id))) return false;
    if (!(await this.hasSecondFactor(user.id))) await this.deps.store.setRecoveryCodes(user.id, []);
    this.deps.audit.emit({ event: 'second_factor_removed', factor: 'totp', ...context, user_id: user.id });
    await this.deps.notify(user, 'factor_removed', { way, factor: 'totp' });
    return true;
  }

  /** Removes every second factor of a user (an operator's reset): app, passkeys, recovery codes; the owner is told. False when there was none. */
  async removeAll(user: UserRecord, context: AuditContext, way: 'by_owner' | 'by_operator'): Promise<boolean> {
    const [totp, passkeys] = await Promise.all([this.deps.store.totp(user.id), this.deps.passkeys.list(user.id)]);
    await this.forget(user.id);
    if (!totp && passkeys.length === 0) return false;
    if (totp) this.deps.audit.emit({ event: 'second_factor_removed', factor: 'totp', ...context, user_id: user.id });
    if (passkeys.length > 0) this.deps.audit.emit({ event: 'second_factor_removed', factor: 'passkey', ...context, user_id: user.id });
    await this.deps.notify(user, 'factor_removed', { way, factor: 'all' });
    return true;
  }

  /** Forgets a deleted account's factors (nobody to tell). */
  async forget(userId: string): Promise<void> {
    await this.deps.store.clear(userId);
    await this.deps.passkeys.clear(userId);
  }

  /** Ends a second step, once; the sign-in it proves is the caller's to start. */
  async #finish(secret: string, step: SecondStepRecord): Promise<SecondStepOutcome> {
    const taken = await this.deps.steps.take(hashSecret(secret));
    if (!taken) return { ok: false, reason: 'expired' };
    return { ok: true, userId: step.userId, amr: [...step.amr, ...AMR_CODE], returnTo: step.returnTo, authenticatedFor: step.authenticatedFor };
  }
}

/** The login-throttle bucket of an account's second-factor codes: its own, beside the password's. */
function throttleKey(userId: string): string {
  return `second-factor:${userId}`;
}
