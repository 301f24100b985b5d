import { createHash, type KeyObject } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { BaseLogger } from 'pino';
import { ConfigError } from '../errors.js';
import { folderFingerprint, loadKeyFolder, type KeyFolder } from './folder.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './key-file.js';
import { generateFirstKey } from './first-key.js';
import { keyStates, type KeyStatus, type LifecycleTimes } from './schedule.js';

/** What the keyring needs to know. */
export interface KeyRingOptions extends LifecycleTimes {
  dir: string;
  /** In production a missing key is an error; elsewhere one is generated. */
  production: boolean;
  /** The algorithm of a key generated because KEYS_DIR held none (SIGNING_ALG). */
  signingAlg?: SigningAlgorithm;
  logger: BaseLogger;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  clock?: () => number;
}

/** The key that signs new tokens now. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
}

/** The JWKS document, serialized once per change, with its entity tag. */
export interface JwksDocument {
  body: string;
  etag: string;
}

/** A change in the keys' lifecycle, for the audit log. */
export interface KeyChange {
  event: 'key_activated' | 'key_retired';
  kid: string;
}

/**
 * A KEYS_DIR that cannot be made or written, as one line naming the variable, the folder and what is wrong with it
 * (a raw EACCES or EEXIST names neither).
 */
function keysDirError(dir: string, action: string, error: unknown): never {
  if (error instanceof ConfigError) throw error;
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? 'a file stands where a folder should be'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `this user (uid ${process.getuid?.() ?? '?'}) may not write there; make the folder writable by it, or put a key into it`
        : (code ?? (error as Error).message);
  throw new ConfigError('KEYS_DIR', `${action} ${dir}: ${why}`);
}

/**
 * The signing keys of the service: which one signs, which are published, and the JWKS body.
 * It re-reads KEYS_DIR on an interval so that `keys rotate` and `keys retire` reach a running service.
 */
export class KeyRing {
  readonly #options: KeyRingOptions;
  readonly #clock: () => number;
  #loaded: KeyFolder;
  #jwks: JwksDocument;
  #publishedKids = '';
  #timer: NodeJS.Timeout | undefined;
  readonly #listeners: Array<(change: KeyChange) => void> = [];
  /** The signer and the retired kids as last announced, so that only changes are announced. */
  #announced: { signer: string | undefined; retired: ReadonlySet<string> };

  private constructor(options: KeyRingOptions, loaded: KeyFolder) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#loaded = loaded;
    this.#jwks = { body: '', etag: '' };
    this.#republish();
    this.#announced = this.#lifecycle();
  }

  /** Calls `listener` when another key starts signing (key_activated) or a key is retired (key_retired), as a reload or the clock finds it. */
  onKeyChange(listener: (change: KeyChange) => void): void {
    this.#listeners.push(listener);
  }

  #lifecycle(): { signer: string | undefined; retired: ReadonlySet<string> } {
    const statuses = this.statuses();
    return { signer: statuses.find((s) => s.state === 'signing')?.kid, retired: new Set(statuses.filter((s) => s.state === 'retired' || s.state === 'expired').map((s) => s.kid)) };
  }

  #announce(): void {
    const now = this.#lifecycle();
    const changes: KeyChange[] = [];
    if (now.signer !== undefined && now.signer !== this.#announced.signer) changes.push({ event: 'key_activated', kid: now.signer });
    for (const kid of now.retired) if (!this.#announced.retired.has(kid)) changes.push({ event: 'key_retired', kid });
    this.#announced = now;
    for (const change of changes) for (const listener of this.#listeners) listener(change);
  }

  /** Loads KEYS_DIR, generating a first key outside production when it holds none. */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const { dir, production } = options;
    if (!production) await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => keysDirError(dir, 'cannot create', error));
    let loaded: KeyFolder;
    try {
      loaded = await loadKeyFolder(dir, options);
    } catch (error) {
      throw new ConfigError('KEYS_DIR', `cannot load signing keys from ${dir}: ${(error as Error).message}`);
    }
    if (loaded.files.size === 0) {
      if (production) {
        throw new ConfigError('KEYS_DIR', `no private key (*.pem, PKCS#8: RSA of at least 2048 bits, or P-256) in ${dir}; production never generates one`);
      }
      loaded = await generateFirstKey(dir, options).catch((error: unknown) => keysDirError(dir, 'cannot write the first signing key into', error));
    }
    return new KeyRing(options, loaded);
  }

  /** The folder the keys are read from (KEYS_DIR). */
  get dir(): string {
    return this.#options.dir;
  }

  /** The state of every key now. */
  statuses(): KeyStatus[] {
    return keyStates(this.#loaded.schedules, this.#now(), this.#options);
  }

  /** The key that signs now, or undefined when every key is retired. */
  signingKey(): SigningKey | undefined {
    const signer = this.statuses().find((s) => s.state === 'signing');
    const file = signer && this.#loaded.files.get(signer.kid);
    return file ? { kid: file.kid, alg: file.alg, privateKey: file.privateKey } : undefined;
  }

  /**
   * The public key for a kid while that key is published, and only for the algorithm it was made for (RFC 8725
   * §3.1: an RS256 key never verifies an ES256 token, nor the reverse); what the service's own verification trusts.
   */
  publicKey(kid: string, alg: unknown): KeyObject | undefined {
    const status = this.statuses().find((s) => s.kid === kid);
    const file = status?.published ? this.#loaded.files.get(kid) : undefined;
    return file !== undefined && file.alg === alg ? file.publicKey : undefined;
  }

  /** The algorithms of the published keys, in SIGNING_ALGORITHMS order: what the service accepts and discovery lists. */
  algorithms(): SigningAlgorithm[] {
    const published = new Set(
      this.statuses()
        .filter((s) => s.published)
        .map((s) => this.#loaded.files.get(s.kid)?.alg),
    );
    return SIGNING_ALGORITHMS.filter((alg: SigningAlgorithm) => published.has(alg));
  }

  /** The JWKS body and ETag, serialized only when the published set changes. */
  jwks(): JwksDocument {
    return this.#jwks;
  }

  /** Re-reads KEYS_DIR when it changed and re-evaluates which keys are published; a bad folder keeps the keys in use. */
  async refresh(): Promise<void> {
    try {
      const fingerprint = await folderFingerprint(this.#options.dir);
      if (fingerprint !== this.#loaded.fingerprint) {
        const loaded = await loadKeyFolder(this.#options.dir, this.#options);
        if (loaded.files.size === 0) throw new Error('KEYS_DIR holds no key any more');
        this.#loaded = loaded;
        this.#options.logger.info({ kids: [...loaded.files.keys()] }, 'signing keys reloaded');
      }
    } catch (error) {
      this.#options.logger.error({ err: (error as Error).message }, 'signing keys not reloaded; keeping the keys in use');
    }
    this.#republish();
    this.#announce();
  }

  /** Starts re-reading KEYS_DIR every keysReloadInterval seconds. */
  watch(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.refresh(), this.#options.keysReloadInterval * 1000);
    this.#timer.unref();
  }

  /** Stops watching KEYS_DIR. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #now(): number {
    return Math.floor(this.#clock() / 1000);
  }

  #republish(): void {
    const published = this.statuses().filter((s) => s.published).map((s) => s.kid).sort();
    const signature = published.join(',');
    if (signature === this.#publishedKids && this.#jwks.body) return;
    const keys = published.map((kid) => this.#loaded.files.get(kid)!.jwk);
    const body = JSON.stringify({ keys });
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    this.#jwks = { body, etag };
    this.#publishedKids = signature;
  }
}
