import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { AuditLog } from '../audit/audit-log.js';
import { oauthError } from '../errors.js';
import { KeyAdminError, listKeys, retireKey, rotateKey, type KeyAdminOptions, type KeyListing } from '../keys/rotation.js';
import type { SigningAlgorithm } from '../keys/key-file.js';
import type { LifecycleTimes } from '../keys/schedule.js';
import { auditAdmin, type AdminActor } from './actor.js';
import { chronological, pageOf, type Page, type PageRequest } from './pagination.js';

/** A signing key as the admin API shows it: its state and dates (epoch seconds), never key material. */
export interface AdminKeyView {
  kid: string;
  alg: string;
  state: string;
  published: boolean;
  created_at: number;
  activate_at: number;
  retired_at: number | null;
}

function keyView(key: KeyListing): AdminKeyView {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    published: key.published,
    created_at: key.created_at,
    activate_at: key.activate_at,
    retired_at: key.retired_at ?? null,
  };
}

/** What KeyAdmin works with: KEYS_DIR, the lifecycle times, the audit log, and this instance's reload of the keys. */
export interface KeyAdminDependencies {
  dir: string;
  times: LifecycleTimes;
  /** The algorithm of the keys `rotate` makes (SIGNING_ALG). */
  signingAlg: SigningAlgorithm;
  audit: AuditLog;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Re-reads KEYS_DIR on this instance at once (others do within KEYS_RELOAD_INTERVAL). */
  reload?: () => Promise<void>;
}

/**
 * The signing keys, for operators: the CLI's key commands with the same lifecycle rules (keys/rotation.ts), and a 409
 * that says what to do where KEYS_DIR is read-only (a mounted secret).
 */
export class KeyAdmin {
  constructor(private readonly deps: KeyAdminDependencies) {}

  async list(page: PageRequest): Promise<Page<AdminKeyView>> {
    const keys = (await this.#run(() => listKeys(this.#options()))).map(keyView);
    return pageOf(keys, (key) => chronological(key.created_at, key.kid), page);
  }

  /** Every key in KEYS_DIR with its state now, oldest activation first. */
  async states(): Promise<KeyListing[]> {
    return this.#run(() => listKeys(this.#options()));
  }

  /** Adds a key of SIGNING_ALG: published at once, signing after JWKS_MAX_AGE + KEYS_RELOAD_INTERVAL (at once when none signs). */
  async rotate(actor: AdminActor): Promise<AdminKeyView> {
    await this.#writable();
    const key = await this.#run(() => rotateKey(this.#options()));
    await this.deps.reload?.();
    auditAdmin(this.deps.audit, actor, 'key_rotated', key.kid);
    return keyView(key);
  }

  /** Stops signing with a key; it stays published until its tokens have expired. 409 while no other key is active. */
  async retire(kid: string, actor: AdminActor): Promise<AdminKeyView> {
    await this.#writable();
    const key = await this.#run(() => retireKey(this.#options(), kid));
    await this.deps.reload?.();
    auditAdmin(this.deps.audit, actor, 'key_retired', kid);
    return keyView(key);
  }

  #options(): KeyAdminOptions {
    return { ...this.deps.times, dir: this.deps.dir, signingAlg: this.deps.signingAlg, now: Math.floor(this.deps.clock() / 1000) };
  }

  /** A KEYS_DIR this process cannot write (a read-only mount, say) is a 409 that says how keys change there. */
  async #writable(): Promise<void> {
    try {
      await access(this.deps.dir, constants.W_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw oauthError(
        'conflict',
        'KEYS_DIR is read-only here (a mounted secret?): run "npm run cli -- keys rotate" (or "keys retire KID") against a writable copy of the folder and update the secret; every instance reloads it within KEYS_RELOAD_INTERVAL',
      );
    }
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (error instanceof KeyAdminError) throw oauthError(error.code, error.message);
      throw error;
    }
  }
}
