import { oauthError } from '../errors.js';
import type { LoginFailureStore } from '../store/types.js';

/** The longest spacing between attempts, in seconds. */
export const MAX_SPACING = 60;
const WINDOW_MS = 3600_000;

function tooMany(retryAfterMs: number) {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return oauthError('too_many_requests', 'too many failed logins for this account; retry later', { 'retry-after': String(seconds) });
}

/**
 * Progressive slow-down of failed logins per account, rather than a lock an attacker could use against
 * the victim: after `freeFailures` failures (LOGIN_FREE_FAILURES), attempts must be 2, 4, 8 … up to MAX_SPACING seconds apart;
 * at most `maxPerHour` failures an hour (ASVS 2.2.1). Refused attempts are not counted, so hammering does
 * not extend the wait; a successful login clears the record.
 */
export class LoginThrottle {
  constructor(
    private readonly failures: LoginFailureStore,
    private readonly limits: { maxPerHour: number; freeFailures: number },
    private readonly clock: () => number,
  ) {}

  /** too_many_requests (429) when the account must wait; says how long in Retry-After. */
  async check(accountKey: string): Promise<void> {
    const record = await this.failures.get(accountKey);
    if (!record) return;
    if (record.count >= this.limits.maxPerHour) throw tooMany(record.resetsInMs);
    if (record.count < this.limits.freeFailures) return;
    const spacingMs = Math.min(2 ** (record.count - this.limits.freeFailures + 1), MAX_SPACING) * 1000;
    const waited = this.clock() - record.lastAt;
    if (waited < spacingMs) throw tooMany(spacingMs - waited);
  }

  /** Counts a failed login. */
  fail(accountKey: string): Promise<void> {
    return this.failures.record(accountKey, this.clock(), WINDOW_MS);
  }

  /** Clears the record after a successful login. */
  succeed(accountKey: string): Promise<void> {
    return this.failures.clear(accountKey);
  }
}
