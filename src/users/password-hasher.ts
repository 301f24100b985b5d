import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the package exports it as a const enum, which verbatimModuleSyntax cannot import.
const ARGON2ID = 2;
import type { Argon2Params } from '../config.js';
import { ConcurrencyLimit } from './concurrency-limit.js';

const PHC_PARAMS = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

/**
 * argon2id hashing with the configured cost. @node-rs/argon2 runs each hash on the libuv thread pool,
 * so hashing never blocks the event loop.
 */
export class PasswordHasher {
  readonly #params: Argon2Params;
  readonly #limit: ConcurrencyLimit;
  #dummyHash: Promise<string> | undefined;

  /** `limit` bounds how many hashes run at once (each holds memoryCost KiB); unbounded when absent. */
  constructor(params: Argon2Params, limit: ConcurrencyLimit = new ConcurrencyLimit(Number.MAX_SAFE_INTEGER, 0)) {
    this.#params = params;
    this.#limit = limit;
  }

  /** Hashes a password with a fresh random salt. */
  hash(password: string): Promise<string> {
    return this.#limit.run(() => hash(password, { algorithm: ARGON2ID, ...this.#params }));
  }

  /** True when the password matches; false for a mismatch or an unreadable hash. */
  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.#limit.run(async () => {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    });
  }

  /**
   * Pays for one verification against a hash of a random password, so that a login for an
   * unknown user takes about as long as one for a known user with a wrong password.
   */
  async verifyNothing(password: string): Promise<false> {
    this.#dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    await this.verify(await this.#dummyHash, password);
    return false;
  }

  /** True when a stored hash is weaker than (or other than) the configured argon2id parameters. */
  needsRehash(passwordHash: string): boolean {
    const match = PHC_PARAMS.exec(passwordHash);
    if (!match) return true;
    const [m, t, p] = match.slice(1).map(Number) as [number, number, number];
    return m < this.#params.memoryCost || t < this.#params.timeCost || p < this.#params.parallelism;
  }
}
