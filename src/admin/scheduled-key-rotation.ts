import type { BaseLogger } from 'pino';
import type { ReplayStore } from '../store/types.js';
import type { AdminActor } from './actor.js';
import type { KeyAdmin } from './keys.js';

/** The actor the schedule's admin_action events name. */
const SCHEDULE: AdminActor = { via: 'schedule' };

/** Seconds between an instance's looks at the keys, at most. */
const CHECK_SECONDS_MAX = 60;

/** What the scheduled rotation works with. */
export interface ScheduledKeyRotationDependencies {
  keys: Pick<KeyAdmin, 'states' | 'rotate' | 'retire'>;
  /** Decides which instance acts: the first to claim a step (the store, across instances) takes it. */
  once: ReplayStore;
  /** Seconds a key signs before the next one is made (KEY_ROTATION_INTERVAL). */
  interval: number;
  logger: Pick<BaseLogger, 'error'>;
  /** Epoch milliseconds. */
  clock: () => number;
}

/**
 * Scheduled key rotation, on top of the pending → signing → retired lifecycle (keys/schedule.ts): once the signing
 * key has signed for KEY_ROTATION_INTERVAL, a new key is published, and it signs only after the publish-before-sign
 * delay (KEYS_RELOAD_INTERVAL + JWKS_MAX_AGE, activationDelay); once it signs, the key it replaced is retired, and it
 * stays published until the last token it signed has expired (ACCESS_TOKEN_TTL and the clock leeway). Every serving
 * instance looks; each step is claimed in the store first, so exactly one instance takes it.
 */
export class ScheduledKeyRotation {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly deps: ScheduledKeyRotationDependencies) {}

  /** Takes the steps due now: retires the keys a newer signer replaced, and adds a key when the signer's time is up. */
  async check(): Promise<void> {
    const { keys, once, interval } = this.deps;
    const now = Math.floor(this.deps.clock() / 1000);
    const states = await keys.states();
    // `active` and not signing: a newer key signs now, so every verifier has it; this one need sign nothing more.
    for (const replaced of states.filter((key) => key.state === 'active')) {
      if (await once.firstUse(`key-rotation:retire:${replaced.kid}`, interval)) await keys.retire(replaced.kid, SCHEDULE);
    }
    const signer = states.find((key) => key.state === 'signing');
    const waiting = states.some((key) => key.state === 'pending');
    if (signer === undefined || waiting || now - signer.activate_at < interval) return;
    if (await once.firstUse(`key-rotation:rotate:${signer.kid}`, interval)) await keys.rotate(SCHEDULE);
  }

  /** Looks every minute (a tenth of the interval when shorter) until stop(); a failed look is logged and tried again. */
  start(): void {
    const every = Math.min(this.deps.interval / 10, CHECK_SECONDS_MAX) * 1000;
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.#running = this.check()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'scheduled key rotation failed'))
        .finally(() => (this.#running = undefined));
    }, every);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
