import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BaseLogger } from 'pino';
import { loadKeyFolder, type KeyFolder } from './folder.js';
import { generateKeyFile, type SigningAlgorithm } from './key-file.js';
import { writeManifest } from './manifest.js';
import type { LifecycleTimes } from './schedule.js';

/** The file that makes one process at a time the one that generates the first key of an empty KEYS_DIR. */
const LOCK_FILE = '.first-key.lock';

/** A lock older than this was left by a process that died while generating: it is taken over. */
const STALE_LOCK_MS = 30_000;

/** How often a waiting process looks again. */
const POLL_MS = 50;

async function takeLock(path: string): Promise<boolean> {
  try {
    await (await open(path, 'wx', 0o600)).close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function isStale(path: string, now: number): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && now - info.mtimeMs > STALE_LOCK_MS;
}

/**
 * Generates the first key of an empty development KEYS_DIR, one process at a time (an exclusive-create lock file
 * beside the keys): instances started together end up with the one key the first of them made, instead of each
 * making its own and refusing the others' tokens until their next reload. Answers the folder with its key.
 */
export async function generateFirstKey(
  dir: string,
  times: LifecycleTimes & { logger: BaseLogger; clock?: () => number; signingAlg?: SigningAlgorithm },
): Promise<KeyFolder> {
  const lock = join(dir, LOCK_FILE);
  for (;;) {
    if (await takeLock(lock)) break;
    if (await isStale(lock, Date.now())) await rm(lock, { force: true });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const loaded = await loadKeyFolder(dir, times);
    // Another process holds the lock until its key and the manifest are both written.
    if (loaded.files.size > 0 && !(await stat(lock).catch(() => undefined))) return loaded;
  }
  try {
    const existing = await loadKeyFolder(dir, times);
    if (existing.files.size > 0) return existing;
    const key = await generateKeyFile(dir, times.signingAlg);
    const now = Math.floor((times.clock ?? Date.now)() / 1000);
    await writeManifest(dir, { keys: { [key.kid]: { created_at: now, activate_at: now } } });
    times.logger.info({ kid: key.kid, alg: key.alg, file: join(dir, key.file) }, 'generated a signing key because KEYS_DIR held none (never in production)');
    return await loadKeyFolder(dir, times);
  } finally {
    await rm(lock, { force: true });
  }
}
