import { oauthError } from '../errors.js';

/**
 * At most `max` tasks at once; the rest wait in line for up to `queueTimeoutMs`, then get a 503
 * temporarily_unavailable with Retry-After. For argon2, where each running hash holds its memory cost
 * (19 MiB by default), this bounds memory under a flood of logins instead of exhausting it.
 */
export class ConcurrencyLimit {
  readonly #max: number;
  readonly #queueTimeoutMs: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(max: number, queueTimeoutMs: number) {
    this.#max = max;
    this.#queueTimeoutMs = queueTimeoutMs;
  }

  /** Tasks waiting for a slot now (a metric: the argon2 queue depth). */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Runs a task when a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#running -= 1;
      this.#waiting.shift()?.();
    }
  }

  #acquire(): Promise<void> {
    if (this.#running < this.#max) {
      this.#running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        this.#running += 1;
        resolve();
      };
      const timer = setTimeout(() => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(oauthError('temporarily_unavailable', 'the service is busy; try again shortly', { 'retry-after': '1' }));
      }, this.#queueTimeoutMs);
      this.#waiting.push(grant);
    });
  }
}
