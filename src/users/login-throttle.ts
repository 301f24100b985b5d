import { oauthError } from '../errors.js';
import type { AttemptRecord, LoginFailureStore } from '../store/types.js';

/** The longest spacing between attempts, in seconds. */
export const MAX_SPACING = 60;
const WINDOW_MS = 3600_000;
/** Rounds a reservation may lose to concurrent attempts beyond the free failures before it is refused. */
const EXTRA_ROUNDS = 3;

function tooMany(retryAfterMs: number) {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return oauthError('too_many_requests', 'too many failed password attempts for this account; retry later', { 'retry-after': String(seconds) });
}

/**
 * Progressive slow-down of password attempts per account, rather than a lock an attacker could use against
 * the victim: after `freeFailures` failures (LOGIN_FREE_FAILURES), attempts must be 2, 4, 8 … up to MAX_SPACING seconds apart;
 * at most `maxPerHour` failures an hour (ASVS 2.2.1). Every check of a password (login, password change)
 * reserves its attempt first, atomically, so however many arrive at once, no more are checked than the
 * policy allows; the attempt counts as a failure unless it succeeds, which clears the record. Refused
 * attempts are not counted, so hammering does not extend the wait.
 */
export class LoginThrottle {
  constructor(
    private readonly failures: LoginFailureStore,
    private readonly limits: { maxPerHour: number; freeFailures: number },
    private readonly clock: () => number,
  ) {}

  /** Counts an attempt before its password is checked; too_many_requests (429, Retry-After) when the account must wait. */
  async reserve(accountKey: string): Promise<void> {
    let expected = 0;
    for (let round = 0; round <= this.limits.freeFailures + EXTRA_ROUNDS; round++) {
      const { counted, record } = await this.failures.reserve(accountKey, expected, this.clock(), WINDOW_MS);
      if (counted) return;
      // Another attempt was counted since the last look: decide again on the record as it is now.
      this.#assertMayTry(record);
      expected = record?.count ?? 0;
    }
    throw tooMany(1000);
  }

  /** Clears the record after a password matched. */
  succeed(accountKey: string): Promise<void> {
    return this.failures.clear(accountKey);
  }

  #assertMayTry(record: AttemptRecord | undefined): void {
    if (!record) return;
    if (record.count >= this.limits.maxPerHour) throw tooMany(record.resetsInMs);
    if (record.count < this.limits.freeFailures) return;
    const spacingMs = Math.min(2 ** (record.count - this.limits.freeFailures + 1), MAX_SPACING) * 1000;
    const waited = this.clock() - record.lastAt;
    if (waited < spacingMs) throw tooMany(spacingMs - waited);
  }
}
