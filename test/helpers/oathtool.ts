import { execFileSync } from 'node:child_process';

/**
 * The TOTP code of a base32 key from Debian's oathtool (OATH Toolkit), an implementation this project did not write:
 * at `at`, or `steps` 30-second periods from now.
 */
export function oathtool(key: string, when: { steps?: number; at?: Date } = {}): string {
  const at = when.at ?? new Date(Date.now() + (when.steps ?? 0) * 30_000);
  const now = at
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return execFileSync('oathtool', ['--totp', '--base32', key, '--now', now], { encoding: 'utf8' }).trim();
}
