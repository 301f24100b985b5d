import type { DeviceApproval, DeviceAuthorizationRecord, DeviceAuthorizationStore, DevicePoll } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

/** A device authorization request, where it stands, and when the device last polled. */
interface StoredRequest {
  record: DeviceAuthorizationRecord;
  status: 'pending' | 'approved' | 'denied' | 'spent';
  approval: DeviceApproval | undefined;
  polledAt: number | undefined;
}

/** Device authorization requests in process memory: each method runs without an await, so each is atomic. */
export class MemoryDeviceAuthorizations implements DeviceAuthorizationStore {
  readonly #requests: ExpiringMap<StoredRequest>;

  constructor(clock: () => number) {
    this.#requests = new ExpiringMap(clock);
  }

  async create(userCode: string, record: DeviceAuthorizationRecord, ttlMs: number): Promise<boolean> {
    if (this.#requests.has(userCode)) return false;
    this.#requests.set(userCode, { record: { ...record }, status: 'pending', approval: undefined, polledAt: undefined }, ttlMs);
    return true;
  }

  async pending(userCode: string, now: number): Promise<DeviceAuthorizationRecord | undefined> {
    const stored = this.#requests.get(userCode);
    return stored?.status === 'pending' && now < stored.record.expiresAt ? { ...stored.record } : undefined;
  }

  async decide(userCode: string, decision: DeviceApproval | 'denied', now: number): Promise<boolean> {
    const stored = this.#requests.get(userCode);
    if (stored?.status !== 'pending' || now >= stored.record.expiresAt) return false;
    if (decision === 'denied') stored.status = 'denied';
    else Object.assign(stored, { status: 'approved', approval: { ...decision, amr: [...decision.amr] } });
    return true;
  }

  async poll(userCode: string, device: { clientId: string; secretHash: string }, now: number): Promise<DevicePoll> {
    const stored = this.#requests.get(userCode);
    const { record: held } = stored ?? {};
    if (stored === undefined || held?.deviceSecretHash !== device.secretHash || held.clientId !== device.clientId || stored.status === 'spent') {
      return { outcome: 'invalid' };
    }
    if (now >= stored.record.expiresAt) return { outcome: 'expired' };
    const record = { ...stored.record };
    if (stored.status === 'denied') return { outcome: 'denied', record };
    if (stored.status === 'approved') {
      stored.status = 'spent';
      return { outcome: 'approved', record, approval: stored.approval! };
    }
    const early = stored.polledAt !== undefined && now - stored.polledAt < stored.record.interval * 1000;
    stored.polledAt = now;
    if (!early) return { outcome: 'pending', record };
    stored.record.interval += 5;
    return { outcome: 'slow_down', record: { ...stored.record } };
  }

  sweep(): void {
    this.#requests.sweep();
  }
}
