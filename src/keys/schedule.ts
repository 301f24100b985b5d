import { MAX_CLOCK_TOLERANCE } from '@tokensmith/verifier/shared';
import type { Manifest, KeySchedule } from './manifest.js';

/** Timing rules of the key lifecycle, in seconds. */
export interface LifecycleTimes {
  /** How long verifiers may cache the JWKS. */
  jwksMaxAge: number;
  /** How long a running service may take to notice a change in KEYS_DIR. */
  keysReloadInterval: number;
  /** How long the access tokens a key signed stay valid. */
  accessTokenTtl: number;
}

/** Extra seconds a retired key stays published, for verifiers that allow clock skew (as much as any may). */
export const RETIRED_KEY_LEEWAY = MAX_CLOCK_TOLERANCE;

/** Where a key is in its lifecycle at a given moment. */
export type KeyState = 'pending' | 'active' | 'signing' | 'retired' | 'expired';

/** A key's schedule and its state at a moment. */
export interface KeyStatus extends KeySchedule {
  kid: string;
  state: KeyState;
  /** Whether the key is in the JWKS: every state but `expired`. */
  published: boolean;
}

/**
 * Seconds from a key's publication until it may sign: every instance must have published it
 * (one reload interval) and every verifier's cached JWKS must have expired (one max-age).
 */
export function activationDelay(times: LifecycleTimes): number {
  return times.keysReloadInterval + times.jwksMaxAge;
}

/** The schedule of a key: from the manifest, or for a key file dropped in by hand, counted from its mtime. */
export function scheduleOf(kid: string, mtimeMs: number, manifest: Manifest, times: LifecycleTimes): KeySchedule {
  const listed = manifest.keys[kid];
  if (listed) return listed;
  const created = Math.floor(mtimeMs / 1000);
  return { created_at: created, activate_at: created + activationDelay(times) };
}

/**
 * The state of every key at `now` (epoch seconds). The signer is the most recently activated
 * key that is not retired; when none has reached its activation time yet (a fresh deployment, where
 * no verifier can have cached an older JWKS), the earliest scheduled non-retired key signs.
 */
export function keyStates(schedules: ReadonlyMap<string, KeySchedule>, now: number, times: LifecycleTimes): KeyStatus[] {
  const statuses: KeyStatus[] = [];
  for (const [kid, schedule] of schedules) {
    const retired = schedule.retired_at !== undefined && schedule.retired_at <= now;
    const expired = retired && now >= schedule.retired_at! + times.accessTokenTtl + RETIRED_KEY_LEEWAY;
    const state: KeyState = expired ? 'expired' : retired ? 'retired' : schedule.activate_at <= now ? 'active' : 'pending';
    statuses.push({ kid, ...schedule, state, published: !expired });
  }
  const byActivation = (a: KeyStatus, b: KeyStatus) => a.activate_at - b.activate_at || a.kid.localeCompare(b.kid);
  statuses.sort(byActivation);
  const active = statuses.filter((s) => s.state === 'active');
  const signer = active.at(-1) ?? statuses.find((s) => s.state === 'pending');
  if (signer) signer.state = 'signing';
  return statuses;
}
