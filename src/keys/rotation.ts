import { mkdir } from 'node:fs/promises';
import { loadKeyFolder } from './folder.js';
import { generateKeyFile, type SigningAlgorithm } from './key-file.js';
import { writeManifest, type KeySchedule } from './manifest.js';
import { activationDelay, keyStates, type KeyStatus, type LifecycleTimes } from './schedule.js';

/** Where the admin commands work and how they count time. */
export interface KeyAdminOptions extends LifecycleTimes {
  dir: string;
  /** Epoch seconds. */
  now: number;
  /** The algorithm of the keys `rotateKey` makes (SIGNING_ALG). */
  signingAlg?: SigningAlgorithm;
}

/** Raised when a key command would break the lifecycle rules; the message says why. */
export class KeyAdminError extends Error {
  /** not_found: no such key; conflict: the lifecycle rules refuse the change. */
  readonly code: 'not_found' | 'conflict';
  constructor(message: string, code: 'not_found' | 'conflict' = 'conflict') {
    super(message);
    this.name = 'KeyAdminError';
    this.code = code;
  }
}

/** A key's state and the algorithm it signs and verifies with. */
export type KeyListing = KeyStatus & { alg: SigningAlgorithm };

/** Every key in KEYS_DIR with its state now. */
export async function listKeys(options: KeyAdminOptions): Promise<KeyListing[]> {
  const { schedules, files } = await loadKeyFolder(options.dir, options);
  return keyStates(schedules, options.now, options).map((status) => ({ ...status, alg: files.get(status.kid)!.alg }));
}

/**
 * Adds a new key, published at once and signing only after the activation delay, so that every
 * verifier has fetched it before the first token it signs arrives. The current signer keeps signing until then.
 */
export async function rotateKey(options: KeyAdminOptions): Promise<KeyListing> {
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const { schedules } = await loadKeyFolder(options.dir, options);
  const key = await generateKeyFile(options.dir, options.signingAlg);
  const hasSigner = keyStates(schedules, options.now, options).some((s) => s.state === 'signing');
  // With no key to sign meanwhile, waiting would only stop the service from issuing tokens.
  const activateAt = hasSigner ? options.now + activationDelay(options) : options.now;
  const schedule: KeySchedule = { created_at: options.now, activate_at: activateAt };
  await writeManifest(options.dir, { keys: { ...Object.fromEntries(schedules), [key.kid]: schedule } });
  return { kid: key.kid, alg: key.alg, ...schedule, state: 'pending', published: true };
}

/**
 * Retires a key: it stops signing now and stays published until every token it signed has expired.
 * Refused when no other key is active yet, since that key would then sign before verifiers know it.
 */
export async function retireKey(options: KeyAdminOptions, kid: string): Promise<KeyListing> {
  const { schedules, files } = await loadKeyFolder(options.dir, options);
  const schedule = schedules.get(kid);
  if (!schedule) throw new KeyAdminError(`no key with kid ${kid} in ${options.dir}`, 'not_found');
  if (schedule.retired_at !== undefined) throw new KeyAdminError(`key ${kid} is already retired`);
  const states = keyStates(schedules, options.now, options);
  const replacement = states.find((s) => s.kid !== kid && (s.state === 'active' || s.state === 'signing'));
  if (!replacement) {
    throw new KeyAdminError(`refusing to retire ${kid}: no other key is active yet (run "keys rotate" and wait until the new key is active)`);
  }
  const retired: KeySchedule = { ...schedule, retired_at: options.now };
  await writeManifest(options.dir, { keys: { ...Object.fromEntries(schedules), [kid]: retired } });
  const status = keyStates(new Map([...schedules, [kid, retired]]), options.now, options).find((s) => s.kid === kid)!;
  return { ...status, alg: files.get(kid)!.alg };
}
