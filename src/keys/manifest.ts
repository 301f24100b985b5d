import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyFileError } from './key-file.js';

/** The manifest's file name inside KEYS_DIR. */
export const MANIFEST_FILE = 'keys.json';

/** When a key was added, may start signing, and was retired (epoch seconds). */
export interface KeySchedule {
  created_at: number;
  activate_at: number;
  retired_at?: number;
}

/** keys.json: the schedule of each key, by kid. Keys without an entry are scheduled from their file's mtime. */
export interface Manifest {
  keys: Record<string, KeySchedule>;
}

function isSchedule(value: unknown): value is KeySchedule {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return Number.isFinite(v.created_at) && Number.isFinite(v.activate_at) && (v.retired_at === undefined || Number.isFinite(v.retired_at));
}

/** Reads keys.json; a missing file is an empty manifest, a malformed one an error. */
export async function readManifest(dir: string): Promise<Manifest> {
  let raw: string;
  try {
    raw = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { keys: {} };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new KeyFileError(MANIFEST_FILE, 'is not valid JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw new KeyFileError(MANIFEST_FILE, 'expected {"keys": {...}}');
  const result: Manifest = { keys: Object.create(null) as Record<string, KeySchedule> };
  for (const [kid, schedule] of Object.entries(keys)) {
    if (!isSchedule(schedule)) throw new KeyFileError(MANIFEST_FILE, `entry ${JSON.stringify(kid)} needs numeric created_at and activate_at`);
    result.keys[kid] = schedule;
  }
  return result;
}

/** Writes keys.json atomically (temporary file, then rename), so a running service never reads half of it. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, path);
}
