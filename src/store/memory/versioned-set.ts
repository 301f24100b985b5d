import { ExpiringMap } from './expiring-map.js';

/** A set of runtime records (clients, providers) in process memory, as JSON by id, with a version and held ids. */
export class MemoryVersionedSet {
  readonly #records = new Map<string, string>();
  readonly #held: ExpiringMap<true>;
  #version = 0;

  constructor(
    private readonly holdMs: number,
    clock: () => number,
  ) {
    this.#held = new ExpiringMap(clock);
  }

  all(): { version: number; records: string[] } {
    return { version: this.#version, records: [...this.#records.values()] };
  }

  version(): number {
    return this.#version;
  }

  /** Writes a record (stored serialized, as Redis stores it): 1 written, 0 taken or absent, 2 a create within the id's hold. */
  put(id: string, json: string, mode: 'create' | 'replace'): number {
    if ((mode === 'create') === this.#records.has(id)) return 0;
    if (mode === 'create' && this.#held.has(id)) return 2;
    this.#records.set(id, json);
    this.#version += 1;
    return 1;
  }

  delete(id: string): boolean {
    if (!this.#records.delete(id)) return false;
    this.#held.set(id, true, this.holdMs);
    this.#version += 1;
    return true;
  }
}
