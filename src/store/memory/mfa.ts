import type { MfaStore, TotpFactor } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** Second factors in process memory: each method runs without an await, so each is atomic. */
export class MemoryMfa implements MfaStore {
  readonly #totp = new Map<string, TotpFactor>();
  readonly #codes = new Map<string, Set<string>>();
  readonly #pending: ExpiringMap<string>;

  constructor(clock: () => number) {
    this.#pending = new ExpiringMap(clock);
  }

  async totp(userId: string): Promise<TotpFactor | undefined> {
    const factor = this.#totp.get(userId);
    return factor && { ...factor };
  }

  async setTotp(userId: string, factor: TotpFactor): Promise<void> {
    this.#totp.set(userId, { ...factor });
  }

  async removeTotp(userId: string): Promise<boolean> {
    return this.#totp.delete(userId);
  }

  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const factor = this.#totp.get(userId);
    if (!factor || step <= factor.lastStep) return false;
    factor.lastStep = step;
    return true;
  }

  async setRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    this.#codes.set(userId, new Set(hashes));
  }

  async useRecoveryCode(userId: string, hash: string): Promise<number | undefined> {
    const codes = this.#codes.get(userId);
    if (!codes?.delete(hash)) return undefined;
    return codes.size;
  }

  async recoveryCodesLeft(userId: string): Promise<number> {
    return this.#codes.get(userId)?.size ?? 0;
  }

  async clear(userId: string): Promise<void> {
    this.#totp.delete(userId);
    this.#codes.delete(userId);
    this.#pending.delete(userId);
  }

  async setPendingTotp(userId: string, secret: string, ttlMs: number): Promise<void> {
    this.#pending.set(userId, secret, ttlMs);
  }

  async pendingTotp(userId: string): Promise<string | undefined> {
    return this.#pending.get(userId);
  }

  sweep(): void {
    this.#pending.sweep();
  }
}
