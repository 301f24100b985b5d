import type { Store } from '../types.js';
import { MemoryRevocations } from './revocations.js';
import { MemorySessions } from './sessions.js';
import { MemoryUsers } from './users.js';

const SWEEP_INTERVAL_MS = 60_000;

/** The embedded store: state lives in this process only, is lost on restart and is not shared between instances. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly users: MemoryUsers;
  readonly sessions: MemorySessions;
  readonly revocations: MemoryRevocations;
  readonly #sweeper: NodeJS.Timeout;

  constructor(clock: () => number = Date.now) {
    this.users = new MemoryUsers();
    this.revocations = new MemoryRevocations(clock);
    this.sessions = new MemorySessions(this.users, this.revocations, clock);
    this.#sweeper = setInterval(() => {
      this.sessions.sweep();
      this.revocations.sweep();
    }, SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }
}
