import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import type { Client } from '../clients/client.js';
import { oauthError, ServiceError, StoreUnavailableError } from '../errors.js';
import type { DeviceApproval, DeviceAuthorizationRecord, DeviceAuthorizationStore } from '../store/types.js';
import { generateSecret, hashSecret } from '../tokens/secret.js';
import { displayedUserCode, newUserCode, normalizedUserCode } from './user-code.js';

/** The page where a person enters a user code (RFC 8628 §3.3), under the issuer. */
export const DEVICE_PATH = '/device';

/**
 * How long after its codes expire a request is still kept: a device that polls late hears expired_token (RFC 8628
 * §3.5), not invalid_grant, and its user code is not handed out again meanwhile.
 */
const KEPT_AFTER_EXPIRY_MS = 10 * 60_000;

/** How many user codes are drawn before giving up (each taken one is a collision among the few codes waiting). */
const USER_CODE_DRAWS = 5;

/** The device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** A request waiting for its person, as the /device page shows it. */
export interface PendingDevice extends DeviceAuthorizationRecord {
  /** The user code, normalized (the form the page sends back). */
  userCode: string;
}

/** What an approved poll gives the grant: the request and who approved it. */
export interface ApprovedDevice {
  record: DeviceAuthorizationRecord;
  approval: DeviceApproval;
}

/**
 * The device authorization grant (RFC 8628), independent of HTTP: a request gets a device code (for the device) and a
 * user code (for its person); the person enters the user code at /device, signed in, and approves or denies; the
 * device polls the token endpoint until then. The device code is the user code and a secret, so one stored request
 * answers both and only the device that holds the secret can collect the approval.
 */
export class DeviceAuthorizationService {
  constructor(
    private readonly store: DeviceAuthorizationStore,
    private readonly settings: { issuer: string; ttl: number; interval: number },
    private readonly clock: () => number,
    private readonly audit?: AuditLog,
  ) {}

  /** Starts a request for a client (RFC 8628 §3.1-3.2), its scope and resource already checked. */
  async start(client: Client, asked: { scope: string; resource: string | undefined }): Promise<DeviceAuthorizationResponse> {
    const secret = generateSecret();
    const record: DeviceAuthorizationRecord = {
      clientId: client.clientId,
      scope: asked.scope,
      ...(asked.resource === undefined ? {} : { resource: asked.resource }),
      deviceSecretHash: hashSecret(secret),
      expiresAt: this.clock() + this.settings.ttl * 1000,
      interval: this.settings.interval,
    };
    for (let draw = 0; draw < USER_CODE_DRAWS; draw++) {
      const userCode = newUserCode();
      if (!(await this.store.create(userCode, record, this.settings.ttl * 1000 + KEPT_AFTER_EXPIRY_MS))) continue;
      const verificationUri = `${this.settings.issuer}${DEVICE_PATH}`;
      return {
        device_code: `${userCode}.${secret}`,
        user_code: displayedUserCode(userCode),
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?${new URLSearchParams({ user_code: displayedUserCode(userCode) })}`,
        expires_in: this.settings.ttl,
        interval: this.settings.interval,
      };
    }
    throw new StoreUnavailableError('no free user code was drawn');
  }

  /** The request a typed user code names, while it waits for an answer; undefined for anything else (a wrong guess too). */
  async pending(typed: string, context: AuditContext = {}): Promise<PendingDevice | undefined> {
    const userCode = normalizedUserCode(typed);
    const record = userCode === undefined ? undefined : await this.store.pending(userCode, this.clock());
    if (record === undefined || userCode === undefined) {
      this.audit?.emit({ event: 'user_code_refused', ...context });
      return undefined;
    }
    return { ...record, userCode };
  }

  /** The person approves the request (RFC 8628 §3.3); false when it no longer waits. */
  async approve(userCode: string, approval: DeviceApproval, context: AuditContext = {}): Promise<boolean> {
    const decided = await this.store.decide(userCode, approval, this.clock());
    if (decided) this.audit?.emit({ event: 'device_approved', ...context, user_id: approval.userId });
    return decided;
  }

  /** The person denies it: the device hears access_denied; false when it no longer waits. */
  async deny(userCode: string, userId: string, context: AuditContext = {}): Promise<boolean> {
    const decided = await this.store.decide(userCode, 'denied', this.clock());
    if (decided) this.audit?.emit({ event: 'device_denied', ...context, user_id: userId });
    return decided;
  }

  /**
   * The device's poll (RFC 8628 §3.4-3.5): the approval, spent by this call, or the error the device acts on —
   * authorization_pending, slow_down, access_denied, expired_token — or invalid_grant for a device code that is
   * unknown, another client's, or spent.
   */
  async poll(deviceCode: string, client: Client): Promise<ApprovedDevice> {
    const dot = deviceCode.indexOf('.');
    const userCode = normalizedUserCode(deviceCode.slice(0, Math.max(dot, 0)));
    if (userCode === undefined) throw oauthError('invalid_grant', 'the device code is unknown');
    // RFC 8628 §3.4: a device code is good only with the client it was issued to; another client's poll changes nothing.
    const device = { clientId: client.clientId, secretHash: hashSecret(deviceCode.slice(dot + 1)) };
    const polled = await this.store.poll(userCode, device, this.clock());
    if (polled.outcome === 'invalid') throw oauthError('invalid_grant', 'the device code is unknown, another client’s, or used already');
    if (polled.outcome === 'expired') throw oauthError('expired_token', 'the device code expired; start again');
    // RFC 8628 §3.5 via RFC 6749 §5.2: a token endpoint error, so 400 where access_denied is otherwise 403.
    if (polled.outcome === 'denied') throw new ServiceError('access_denied', 'the person denied the request', {}, 400);
    if (polled.outcome === 'approved') return { record: polled.record, approval: polled.approval };
    if (polled.outcome === 'pending') throw oauthError('authorization_pending', 'the person has not answered yet');
    throw oauthError('slow_down', `poll no more often than every ${polled.record.interval} seconds`);
  }
}
