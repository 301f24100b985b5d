import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listKeyFiles, readKeyFile, type KeyFile } from './key-file.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import type { KeySchedule } from './manifest.js';
import { scheduleOf, type LifecycleTimes } from './schedule.js';

/** Everything KEYS_DIR says: the key files by kid, their schedules, and a fingerprint to notice changes. */
export interface KeyFolder {
  files: Map<string, KeyFile>;
  schedules: Map<string, KeySchedule>;
  fingerprint: string;
}

/** A cheap summary (names, sizes, mtimes) of the key files and the manifest; it changes when any of them does. */
export async function folderFingerprint(dir: string): Promise<string> {
  const names = [...(await listKeyFiles(dir)), MANIFEST_FILE];
  const parts = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(dir, name)).catch(() => undefined);
      return info ? `${name}:${info.size}:${info.mtimeMs}` : '';
    }),
  );
  return parts.join('|');
}

/** Reads every key file and the manifest of KEYS_DIR. */
export async function loadKeyFolder(dir: string, times: LifecycleTimes): Promise<KeyFolder> {
  const fingerprint = await folderFingerprint(dir);
  const manifest = await readManifest(dir);
  const files = new Map<string, KeyFile>();
  for (const file of await listKeyFiles(dir)) {
    const key = await readKeyFile(dir, file);
    files.set(key.kid, key);
  }
  const schedules = new Map<string, KeySchedule>();
  for (const key of files.values()) schedules.set(key.kid, scheduleOf(key.kid, key.mtimeMs, manifest, times));
  return { files, schedules, fingerprint };
}
