import { MemoryOneTimeRecords } from './one-time-records.js';
import type { PasskeyChallengeRecord, PasskeyChallengeStore, PasskeyRecord, PasskeyStore, PasskeyUse } from '../types.js';

/** Passkeys in process memory, by credential id: each method runs without an await, so each is atomic. */
export class MemoryPasskeys implements PasskeyStore {
  readonly #byId = new Map<string, PasskeyRecord>();

  async list(userId: string): Promise<PasskeyRecord[]> {
    return [...this.#byId.values()].filter((passkey) => passkey.userId === userId).map(copy);
  }

  async find(credentialId: string): Promise<PasskeyRecord | undefined> {
    const passkey = this.#byId.get(credentialId);
    return passkey && copy(passkey);
  }

  async add(record: PasskeyRecord): Promise<boolean> {
    if (this.#byId.has(record.id)) return false;
    this.#byId.set(record.id, copy(record));
    return true;
  }

  async rename(userId: string, credentialId: string, name: string): Promise<boolean> {
    const passkey = this.#owned(userId, credentialId);
    if (passkey) passkey.name = name;
    return passkey !== undefined;
  }

  async remove(userId: string, credentialId: string): Promise<boolean> {
    return this.#owned(userId, credentialId) !== undefined && this.#byId.delete(credentialId);
  }

  async recordUse(userId: string, credentialId: string, use: PasskeyUse): Promise<'recorded' | 'stale_counter' | 'gone'> {
    const passkey = this.#owned(userId, credentialId);
    if (!passkey) return 'gone';
    if ((use.counter > 0 || passkey.counter > 0) && use.counter <= passkey.counter) return 'stale_counter';
    passkey.counter = use.counter;
    passkey.backedUp = use.backedUp;
    passkey.lastUsedAt = use.usedAt;
    return 'recorded';
  }

  async clear(userId: string): Promise<void> {
    for (const [id, passkey] of this.#byId) if (passkey.userId === userId) this.#byId.delete(id);
  }

  #owned(userId: string, credentialId: string): PasskeyRecord | undefined {
    const passkey = this.#byId.get(credentialId);
    return passkey?.userId === userId ? passkey : undefined;
  }
}

function copy(passkey: PasskeyRecord): PasskeyRecord {
  return { ...passkey, transports: [...passkey.transports] };
}

/** WebAuthn challenges in process memory, expiring. */
export class MemoryPasskeyChallenges extends MemoryOneTimeRecords<PasskeyChallengeRecord> implements PasskeyChallengeStore {}
