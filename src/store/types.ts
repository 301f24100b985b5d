/**
 * The storage contract. Every adapter (Redis, in-memory) implements it and passes the same
 * contract suite (test/store/contract.ts), as node-oidc-provider runs one suite against every adapter.
 * Records handed in or out are copies: changing one never changes what is stored.
 */

import type { RevocationEntry } from '@tokensmith/verifier/shared';

/** A user account. */
export interface UserRecord {
  id: string;
  /** The username as registered, NFKC-normalized. */
  username: string;
  /** The case-folded form that makes usernames unique. */
  usernameKey: string;
  /** An argon2id PHC string. */
  passwordHash: string;
  /** Epoch seconds. */
  createdAt: number;
  /** When the owner last changed the password (epoch seconds); absent when never changed. */
  passwordChangedAt?: number;
  disabled: boolean;
  /** The account's email address, when it has one. */
  email?: UserEmail;
}

/** An email address on an account. */
export interface UserEmail {
  /** As the owner wrote it (trimmed, NFC); mail goes here. */
  address: string;
  /** The form that makes addresses unique: the whole address NFKC-normalized and lower-cased (users/email-address.ts). */
  key: string;
  /** Whether its owner proved they read mail there (followed a verification link). */
  verified: boolean;
}

/** What storing a new user did. */
export type UserCreation = 'created' | 'username_taken' | 'email_taken';

/** Users, unique by usernameKey and by email key. */
export interface UserStore {
  /** Stores a new user; `username_taken` or `email_taken` (and nothing stored) when its username key or email key is another's. */
  create(user: UserRecord): Promise<UserCreation>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByUsernameKey(usernameKey: string): Promise<UserRecord | undefined>;
  /** The user whose address has this key (only while the address is that user's). */
  findByEmailKey(emailKey: string): Promise<UserRecord | undefined>;
  /**
   * Replaces a user's address (undefined: removes it), freeing the previous one: `set`; `taken` when another user's
   * address has the key, `missing` when there is no such user (nothing changed either way).
   */
  setEmail(id: string, email: UserEmail | undefined): Promise<'set' | 'taken' | 'missing'>;
  /** Marks the user's address verified, only while the address is still the one with this key; false otherwise. */
  markEmailVerified(id: string, emailKey: string): Promise<boolean>;
  /** Replaces a user's password hash, with when the owner changed it (absent for a rehash); false when there is no such user. */
  setPasswordHash(id: string, passwordHash: string, changedAt?: number): Promise<boolean>;
  /** Disables or re-enables a user; false when there is no such user. */
  setDisabled(id: string, disabled: boolean): Promise<boolean>;
  /**
   * Users whose usernameKey starts with `prefix`, in usernameKey order, after the usernameKey `after`; at most
   * `limit`. `last` is where the next page starts, or undefined when there is none.
   */
  list(query: UserQuery): Promise<{ users: UserRecord[]; last: string | undefined }>;
  /** Removes a user and frees its username and address; returns the record, or undefined when there was none. */
  delete(id: string): Promise<UserRecord | undefined>;
}

/** A page of the user list: a usernameKey prefix, where the page starts, and its size. */
export interface UserQuery {
  prefix: string;
  after?: string | undefined;
  limit: number;
}

/**
 * A client registered at runtime (the admin API), in the CLIENTS_FILE entry format (`entry`, validated as the
 * file's are) with what the file cannot say: when it was created (tokens issued before belong to an earlier client
 * of the same id, and are refused) and the previous secret while its grace lasts.
 */
export interface ClientRecord {
  entry: Record<string, unknown>;
  /** Epoch seconds. */
  createdAt: number;
  updatedAt: number;
  /** The secret a rotation replaced (`sha256:<hex>`), accepted until previousSecretUntil (epoch seconds). */
  previousSecretHash?: string;
  previousSecretUntil?: number;
  /**
   * For a client registered at the registration endpoint (RFC 7591): the hash of its registration access token
   * (RFC 7592), and how it authenticates at the token endpoint. Absent for an operator's client.
   */
  registration?: { tokenHash: string; method: 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' };
}

/** Runtime clients, shared by every instance; `version` rises with every change, so instances notice by polling it. */
export interface ClientStore {
  /** Every runtime client, with the version they are as of (read first: a change meanwhile shows at the next poll). */
  all(): Promise<{ version: number; clients: ClientRecord[] }>;
  /** The current version; one cheap read. */
  version(): Promise<number>;
  /**
   * Stores a new client: `created`; `taken` when its client_id is, and `held` for CLIENT_ID_HOLD_SECONDS after a client
   * of that id was deleted (nothing stored either way).
   */
  create(record: ClientRecord): Promise<'created' | 'taken' | 'held'>;
  /** Replaces a stored client; false when there is none with its client_id. */
  replace(record: ClientRecord): Promise<boolean>;
  /** Removes a client, holding its id for CLIENT_ID_HOLD_SECONDS; false when there was none. */
  delete(clientId: string): Promise<boolean>;
}

/**
 * Seconds a deleted client's id cannot be taken again: longer than any clock tolerance (5 s) plus the second in which
 * another instance may still issue the deleted client's tokens, so that none of them can pass as the new client's.
 */
export const CLIENT_ID_HOLD_SECONDS = 15;

/** An upstream provider created through the admin API: its entry as PROVIDERS_FILE's (the secret sealed when it can be). */
export interface ProviderRecord {
  entry: Record<string, unknown>;
  /** Epoch seconds. */
  createdAt: number;
  updatedAt: number;
}

/** Runtime upstream providers, shared by every instance; `version` rises with every change, as ClientStore's does. */
export interface ProviderStore {
  /** Every runtime provider, with the version they are as of. */
  all(): Promise<{ version: number; providers: ProviderRecord[] }>;
  /** The current version; one cheap read. */
  version(): Promise<number>;
  /** Stores a new provider: `created`; `taken` when its id is; `held` for PROVIDER_ID_HOLD_SECONDS after one of that id was deleted. */
  create(record: ProviderRecord): Promise<'created' | 'taken' | 'held'>;
  /** Replaces a stored provider; false when there is none with its id. */
  replace(record: ProviderRecord): Promise<boolean>;
  /** Removes a provider; false when there was none. */
  delete(id: string): Promise<boolean>;
}

/** A protected resource registered through the admin API: its entry as RESOURCES_FILE's (RFC 8707, RFC 9728). */
export interface ResourceRecord {
  entry: Record<string, unknown>;
  /** Epoch seconds. */
  createdAt: number;
  updatedAt: number;
}

/** Runtime protected resources, shared by every instance, keyed by resource identifier; versioned as runtime clients are. */
export interface ResourceStore {
  /** Every runtime resource, with the version they are as of. */
  all(): Promise<{ version: number; resources: ResourceRecord[] }>;
  /** The current version; one cheap read. */
  version(): Promise<number>;
  /** Stores a new resource: `created`; `taken` when its identifier is; `held` for RESOURCE_HOLD_SECONDS after one of it was deleted. */
  create(record: ResourceRecord): Promise<'created' | 'taken' | 'held'>;
  /** Replaces a stored resource; false when there is none of its identifier. */
  replace(record: ResourceRecord): Promise<boolean>;
  /** Removes a resource; false when there was none. */
  delete(identifier: string): Promise<boolean>;
}

/** Seconds a deleted resource's identifier cannot be registered again: every instance has stopped serving it by then. */
export const RESOURCE_HOLD_SECONDS = 5;

/** Seconds a deleted provider's id cannot be taken again: every instance has stopped offering it by then. */
export const PROVIDER_ID_HOLD_SECONDS = 5;

/** A login session: the family of tokens one login started. */
export interface SessionRecord {
  sid: string;
  userId: string;
  clientId: string;
  /** The scope granted at login; refreshes may narrow an access token's scope, never this. */
  scope: string;
  /** Epoch seconds. */
  createdAt: number;
  lastUsedAt: number;
  /** When the session ends at the latest (epoch seconds); rotation never extends it. */
  expiresAt: number;
  userAgent: string;
  ip: string;
  /** The sign-in (browser session at this service) whose authorization code started it; absent for other grants. */
  signInId?: string;
  /** When the person authenticated (epoch seconds), and how (RFC 8176 amr); each access token of the session carries them. Absent on sessions earlier builds started. */
  authTime?: number;
  amr?: string[];
  /** The resource its access tokens are meant for (RFC 8707), when the grant named one: their `aud`, never widened. */
  resource?: string;
  /**
   * The DPoP key a public client's refresh tokens are bound to (RFC 9449 §5): its JWK thumbprint. A rotation then
   * needs a proof made with that key; a confidential client's refresh tokens are bound by its authentication instead.
   */
  dpopJkt?: string;
}

/** How a new session is stored. */
export interface SessionOptions {
  /** The first refresh token's hash; absent for a session without refresh tokens. */
  refreshTokenHash?: string;
  /** Seconds the session may stay unused (its store TTL, capped by expiresAt). */
  idleTtl: number;
}

/** A refresh-token rotation request; one atomic step in the store. */
export interface RotationRequest {
  tokenHash: string;
  clientId: string;
  newTokenHash: string;
  /** The new token sealed under a key derived from the presented one (see sealSuccessor). */
  sealedSuccessor: string;
  /** Milliseconds after a rotation during which the previous token still refreshes (RFC 9700 §4.14.2 leaves room for this). */
  graceMs: number;
  idleTtl: number;
  /** Seconds a revoked sid stays listed: the access-token lifetime. */
  revokedTtl: number;
  /** The thumbprint of the key the request's DPoP proof was made with, if it had one: a bound session takes no other. */
  dpopJkt?: string | undefined;
}

/** What a rotation did. */
export type RotationResult =
  /** The presented token was the newest: it is spent, the new one is current. */
  | { outcome: 'rotated'; session: SessionRecord }
  /**
   * The presented token is the newest one's predecessor, within the grace or while the newest has not been
   * handed out (markDelivered): the current token stays
   * current; its seal and its hash come back so the caller can recover it (openSuccessor).
   */
  | { outcome: 'grace'; session: SessionRecord; sealedSuccessor: string; successorHash: string }
  /** A spent token outside the grace: the whole session was revoked (its user named for the audit log). */
  | { outcome: 'reused'; sid: string; userId: string }
  /** The user is disabled or gone: the session was revoked. */
  | { outcome: 'inactive_user'; sid: string }
  /** The session's refresh tokens are bound to a DPoP key the request did not prove (RFC 9449 §5): nothing changed. */
  | { outcome: 'wrong_key' }
  /** Unknown, expired, or another client's token: nothing changed. */
  | { outcome: 'invalid' };

/**
 * Sessions and their refresh tokens. Every key a session writes expires (Redis never grows with dead
 * sessions); an ended session's sid stays on a revoked list for one access-token lifetime.
 */
export interface SessionStore {
  create(session: SessionRecord, options: SessionOptions): Promise<void>;
  get(sid: string): Promise<SessionRecord | undefined>;
  /** The live session a refresh token (current or spent) belongs to, and whether it is the current one; reads only. */
  findByRefreshToken(tokenHash: string): Promise<{ session: SessionRecord; current: boolean } | undefined>;
  /**
   * Rotates a refresh token atomically: rotation, grace, reuse detection and revocation are one step. Its
   * time is the store's own at the moment the step runs, not the request's: a rotation that a stalled store
   * runs late counts its grace from when it really happened, so the client's retry of a 503 is recognised.
   */
  rotate(request: RotationRequest): Promise<RotationResult>;
  /** The user's live sessions, oldest first. */
  listForUser(userId: string): Promise<SessionRecord[]>;
  /** Ends a session and lists its sid as revoked; returns it, or undefined when there was none. */
  end(sid: string, revokedTtl: number): Promise<SessionRecord | undefined>;
  /** Ends every session of a user but `keepSid`; returns how many ended. */
  endAllForUser(userId: string, revokedTtl: number, keepSid?: string): Promise<number>;
  /**
   * Records that the session's current refresh token has been handed to its client. Until then its predecessor
   * may get it again after the grace: a rotation whose answer never arrived (a store stall) is no reuse.
   */
  markDelivered(sid: string, tokenHash: string): Promise<void>;
  /** Counts a wrong password sent from a live session; returns its count so far, 0 when there is no such session. */
  countPasswordFailure(sid: string): Promise<number>;
}

/** One denylist entry: a revoked jti or an ended session's sid (the verifier package defines it; the feed carries it). */
export type { RevocationEntry };

/** What a revocation feed subscriber is told. */
export interface RevocationListener {
  /** A new revocation, on any instance. */
  entry(entry: RevocationEntry): void;
  /** The subscription is (again) receiving: entries may have been missed before, so take a new snapshot. */
  up(): void;
  /** The subscription is not receiving: entries may be missed from now on. */
  down(): void;
}

/**
 * The denylists that make revocation reach access tokens: revoked jtis (RFC 7009) and the sids of
 * ended sessions. Each entry expires when the last token it can match has expired.
 */
export interface RevocationStore {
  /** Lists an access token's jti as revoked for ttlSeconds (its remaining lifetime). */
  revokeAccessToken(jti: string, ttlSeconds: number): Promise<void>;
  /** Whether the jti, or the session, is on a denylist; one round trip. */
  isRevoked(token: { jti: string; sid?: string | undefined }): Promise<boolean>;
  /** Every entry that has not expired. */
  snapshot(): Promise<RevocationEntry[]>;
  /** Listens for revocations made by any instance; resolves to a function that stops listening. */
  subscribe(listener: RevocationListener): Promise<() => Promise<void>>;
}

/** Fixed-window request counters, for @fastify/rate-limit. */
export interface RateLimitStore {
  /** Counts one hit on a key; the window starts with the first hit. One atomic step. */
  hit(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }>;
}

/** An account's password attempts in the current window: counted before each check, cleared by a success. */
export interface AttemptRecord {
  count: number;
  /** When the last attempt was counted (epoch ms). */
  lastAt: number;
  /** Milliseconds until the window ends. */
  resetsInMs: number;
}

/** What a reservation did, and the record as it stands after it. */
export interface Reservation {
  counted: boolean;
  record: AttemptRecord | undefined;
}

/** Password attempts per account, for the progressive login throttle. */
export interface LoginFailureStore {
  /**
   * Counts an attempt at `now` (epoch ms), but only while the record holds exactly `expected` attempts
   * (0: no record), in one atomic step: concurrent attempts cannot all pass one look at the record.
   * The window starts with the first attempt.
   */
  reserve(key: string, expected: number, now: number, windowMs: number): Promise<Reservation>;
  clear(key: string): Promise<void>;
}

/**
 * A sign-in: a person's browser session at this service (OpenID Connect's session at the OP), behind a __Host-
 * cookie. The store keys it by the hash of the cookie's secret; `id` is its public name (an ID token's `sid`).
 */
export interface SignInRecord {
  id: string;
  userId: string;
  /** When the person last proved who they are (epoch seconds): OIDC's auth_time, checked against max_age. */
  authTime: number;
  createdAt: number;
  lastUsedAt: number;
  /** When it ends at the latest (epoch seconds); use never extends it. */
  expiresAt: number;
  userAgent: string;
  ip: string;
  /**
   * The authorization request (requestFingerprint) the person signed in for, when they did: that request's max_age
   * and prompt=login are met by this very sign-in, however many seconds its login and consent pages took.
   */
  authenticatedFor?: string;
  /** How the person proved who they are (RFC 8176 values: `pwd`, `otp`, `mfa`); absent on sign-ins of earlier builds: `pwd`. */
  amr?: string[];
}

/** Sign-ins, by the hash of their cookie secret. */
export interface SignInStore {
  /** Stores a sign-in; it ends after idleTtl seconds unused, and at expiresAt at the latest. */
  create(secretHash: string, record: SignInRecord, idleTtl: number): Promise<void>;
  /** The live sign-in, its idle time renewed and lastUsedAt set to `now` (epoch seconds); one atomic step. */
  use(secretHash: string, idleTtl: number, now: number): Promise<SignInRecord | undefined>;
  /** Ends a sign-in; returns it, or undefined when there was none. */
  end(secretHash: string): Promise<SignInRecord | undefined>;
  /** Ends every sign-in of a user but the one with `keepHash`; returns how many ended. */
  endAllForUser(userId: string, keepHash?: string): Promise<number>;
  /** Whether the sign-in stored under this secret hash lives and has this public id; reads only (no renewal). */
  isLive(secretHash: string, id: string): Promise<boolean>;
  /** Counts a wrong password sent from a live sign-in; returns its count so far, 0 when there is no such sign-in. */
  countPasswordFailure(secretHash: string): Promise<number>;
}

/** What an authorization code stands for (RFC 6749 §4.1.2: bound to its client and redirect URI; RFC 7636: its challenge). */
export interface AuthorizationCodeRecord {
  clientId: string;
  redirectUri: string;
  /** The S256 PKCE challenge (RFC 7636 §4.2). */
  codeChallenge: string;
  scope: string;
  /** The OpenID Connect nonce, when the request sent one. */
  nonce?: string;
  userId: string;
  signInId: string;
  /** The hash of the issuing sign-in's cookie secret (its store key): the code is good only while that cookie is. */
  signInHash: string;
  authTime: number;
  /** The sign-in's authentication methods (RFC 8176), for the ID token's `amr`. */
  amr?: string[];
  /** The resource the authorization request named (RFC 8707 §2), if any: the tokens' `aud`. */
  resource?: string;
  /** The DPoP key the code is bound to (RFC 9449 §10), if the request named one: only a proof of it redeems the code. */
  dpopJkt?: string;
}

/** What spending an authorization code did. */
export type CodeRedemption =
  /** The first use: the code is spent from now on. */
  | { outcome: 'redeemed'; code: AuthorizationCodeRecord }
  /** A later use (RFC 6749 §4.1.2), with the token session the first use started, if it got that far. */
  | { outcome: 'replayed'; code: AuthorizationCodeRecord; sid: string | undefined }
  /** Unknown or expired. */
  | { outcome: 'invalid' };

/** Authorization codes, by their hash. */
export interface AuthorizationCodeStore {
  /** Stores a new code for ttlMs. */
  create(codeHash: string, record: AuthorizationCodeRecord, ttlMs: number): Promise<void>;
  /** Spends a code in one atomic step: the first call redeems it, and its record is then kept keepMs to recognise replays. */
  redeem(codeHash: string, keepMs: number): Promise<CodeRedemption>;
  /** Records the token session a redeemed code started, so that a replay can end it. */
  linkSession(codeHash: string, sid: string): Promise<void>;
}

/** How a person answered a device's request (RFC 8628 §3.3): who, and how they had signed in. */
export interface DeviceApproval {
  userId: string;
  /** When the approving person authenticated (epoch seconds), for the tokens' `auth_time`. */
  authTime: number;
  /** How they authenticated (RFC 8176), for `amr` and `acr`. */
  amr: string[];
}

/** A device authorization request (RFC 8628 §3.1), kept under its user code until it is spent or expires. */
export interface DeviceAuthorizationRecord {
  clientId: string;
  scope: string;
  /** The resource the request named (RFC 8707), if any. */
  resource?: string;
  /** The hash of the device code's secret: only its holder may poll. */
  deviceSecretHash: string;
  /** When the codes stop being good (epoch ms); the record outlives it, so a late poll hears expired_token. */
  expiresAt: number;
  /** Seconds the device waits between polls (RFC 8628 §3.5); a slow_down adds five. */
  interval: number;
}

/** What a poll of the token endpoint (RFC 8628 §3.4) found. */
export type DevicePoll =
  /** No such device code for this client (or one spent already, or the secret does not match). */
  | { outcome: 'invalid' }
  | { outcome: 'expired' }
  | { outcome: 'denied'; record: DeviceAuthorizationRecord }
  /** Still waiting for the person; `slow_down` when the device polled within its interval (the interval grew by five seconds). */
  | { outcome: 'pending' | 'slow_down'; record: DeviceAuthorizationRecord }
  /** The person approved: the record is spent by this poll, and no later one gets it. */
  | { outcome: 'approved'; record: DeviceAuthorizationRecord; approval: DeviceApproval };

/** Device authorization requests (RFC 8628), by user code, each changed only in one atomic step. */
export interface DeviceAuthorizationStore {
  /** Stores a new request for ttlMs, unless its user code is taken (false then). */
  create(userCode: string, record: DeviceAuthorizationRecord, ttlMs: number): Promise<boolean>;
  /** The request a user code names while it waits for an answer (not yet answered, not expired at `now`, epoch ms). */
  pending(userCode: string, now: number): Promise<DeviceAuthorizationRecord | undefined>;
  /** Answers a waiting request once: approved by a person, or denied; false when it was not waiting (answered, expired, unknown). */
  decide(userCode: string, decision: DeviceApproval | 'denied', now: number): Promise<boolean>;
  /** The poll of the device (the client it was issued to, its secret's hash) at `now` (epoch ms): see DevicePoll. */
  poll(userCode: string, device: { clientId: string; secretHash: string }, now: number): Promise<DevicePoll>;
}

/** A person's decision to let a client have some scopes. */
export interface ConsentRecord {
  clientId: string;
  scope: string;
  /** The resources (RFC 8707) the person let the client have tokens for, when it named any. */
  resources?: string[];
  /** Epoch seconds. */
  grantedAt: number;
}

/** Remembered consents, per user and client, until revoked. */
export interface ConsentStore {
  get(userId: string, clientId: string): Promise<ConsentRecord | undefined>;
  /** Records (or replaces) a user's consent for a client. */
  grant(userId: string, consent: ConsentRecord): Promise<void>;
  /** Every consent of a user, by client id. */
  list(userId: string): Promise<ConsentRecord[]>;
  /** Forgets a consent; false when there was none. */
  revoke(userId: string, clientId: string): Promise<boolean>;
  /** Forgets every consent of a user (a deleted account). */
  revokeAll(userId: string): Promise<void>;
  /** Forgets every consent given to a client (a deleted client); answers how many. */
  forgetClient(clientId: string): Promise<number>;
}

/** What an emailed link is for. */
export type EmailLinkPurpose = 'verify_email' | 'change_email' | 'reset_password';

/** What an emailed link's secret stands for (the store keys it by the secret's hash; the secret itself is never stored). */
export interface EmailLinkRecord {
  purpose: EmailLinkPurpose;
  userId: string;
  /**
   * The address it was mailed to, as written: a verification link proves that one, only while it is the account's; an
   * address-change link makes it the account's (verified).
   */
  address: string;
  /** A fingerprint of the password hash when the link was made: a reset link is void once the password changed by any route. */
  passwordStamp: string;
  /** Epoch seconds. */
  createdAt: number;
}

/** Single-use links mailed to people (verification, password reset), by the hash of their secret, expiring. */
export interface EmailLinkStore {
  create(secretHash: string, record: EmailLinkRecord, ttlMs: number): Promise<void>;
  /** The live link, without spending it (its page shows a form first: a mail scanner's GET must not spend it). */
  peek(secretHash: string): Promise<EmailLinkRecord | undefined>;
  /** Spends a link in one atomic step: of two concurrent takers, one gets it. */
  take(secretHash: string): Promise<EmailLinkRecord | undefined>;
}

/** A mail waiting in the outbox: where it goes and what it says, rendered when it was queued. */
export interface OutboxMessage {
  id: string;
  /** The user it concerns ('' for none): the admin API lists a user's mails. */
  userId: string;
  /** What it is (the template's name: verify_email, reset_password, password_changed…). */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

/** A claimed message: the caller holds it until `lease` is taken over by another claim. */
export interface ClaimedMessage {
  message: OutboxMessage;
  /** Tries before this one. */
  attempts: number;
  /** The claim's token: only its holder may settle the message. */
  lease: string;
}

/** A mail's state, as the admin API lists it: never its body, which may hold a link's secret. */
export interface OutboxEntry {
  id: string;
  kind: string;
  to: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  createdAt: number;
  updatedAt: number;
  lastError?: string;
}

/**
 * The mail outbox, shared by every instance: a queued mail is sent once by whichever instance claims it; an instance
 * that dies holding a claim leaves it to another when the claim's lease ends. A mail's body is dropped once it is
 * sent or given up (it may hold a link's secret); its state is kept for `keepMs` from when it was queued.
 */
export interface MailOutboxStore {
  enqueue(message: OutboxMessage, keepMs: number): Promise<void>;
  /** Claims at most `limit` mails due at `now` (epoch ms), each until `now + leaseMs`. */
  claim(now: number, leaseMs: number, limit: number): Promise<ClaimedMessage[]>;
  /** The mail was sent; false when the lease was lost (another instance holds it now). */
  sent(id: string, lease: string, now: number): Promise<boolean>;
  /** A try failed: due again at `retryAt`, or failed for good when it is undefined. False when the lease was lost. */
  failed(id: string, lease: string, now: number, error: string, retryAt: number | undefined): Promise<boolean>;
  /** A user's latest mails, newest first. */
  listForUser(userId: string, limit: number): Promise<OutboxEntry[]>;
}

/** The browsers each account has signed in from (by the hash of a long-lived cookie), for the new-browser notice. */
export interface KnownBrowserStore {
  /** Remembers that the user signed in from this browser, for ttlMs; answers whether it was new to the account. */
  remember(userId: string, browserHash: string, ttlMs: number): Promise<boolean>;
}

/** An authenticator app (TOTP, RFC 6238) of a user. */
export interface TotpFactor {
  /** The shared secret, base32. */
  secret: string;
  /** Epoch seconds. */
  createdAt: number;
  /** The last time step a code was accepted for (-1: none yet): no step at or before it is accepted again. */
  lastStep: number;
}

/** A sign-in half done: the password was right, the second factor is still to come. */
export interface SecondStepRecord {
  userId: string;
  /** What was proven so far (`pwd`). */
  amr: string[];
  /** Where the sign-in continues once complete (an authorization request on this service), if anywhere. */
  returnTo?: string;
  /** The authorization request the sign-in is made for (SignInRecord.authenticatedFor). */
  authenticatedFor?: string;
  /** Epoch seconds. */
  createdAt: number;
}

/** Second steps in progress, by the hash of their cookie's secret: any instance finishes what another began. */
export interface SecondStepStore {
  create(secretHash: string, record: SecondStepRecord, ttlMs: number): Promise<void>;
  get(secretHash: string): Promise<SecondStepRecord | undefined>;
  /** Ends a second step, once: of two concurrent takers, one gets it. */
  take(secretHash: string): Promise<SecondStepRecord | undefined>;
}

/** A user's second factors: an authenticator app, and recovery codes kept as hashes. */
export interface MfaStore {
  totp(userId: string): Promise<TotpFactor | undefined>;
  /** Stores (or replaces) the user's authenticator app. */
  setTotp(userId: string, factor: TotpFactor): Promise<void>;
  /** Removes it; false when there was none. */
  removeTotp(userId: string): Promise<boolean>;
  /** Accepts a code's time step, once, and only when later than every step accepted before (RFC 6238 §5.2): one atomic step. */
  useTotpStep(userId: string, step: number): Promise<boolean>;
  /** Replaces the user's recovery codes by these hashes (a new set voids the old). */
  setRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void>;
  /** Spends one recovery code by its hash, atomically: how many remain, or undefined when it is no unspent code of the user. */
  useRecoveryCode(userId: string, hash: string): Promise<number | undefined>;
  recoveryCodesLeft(userId: string): Promise<number>;
  /** Forgets every factor of the user (a deleted account, an operator's reset). */
  clear(userId: string): Promise<void>;
  /** Keeps the secret of an authenticator app being set up, until it is confirmed with a code or ttlMs passes. */
  setPendingTotp(userId: string, secret: string, ttlMs: number): Promise<void>;
  pendingTotp(userId: string): Promise<string | undefined>;
}

/**
 * A passkey: a WebAuthn public key credential of a user (WebAuthn Level 3 §4, "credential record"), with what
 * verifying its assertions needs and what the account page shows.
 */
export interface PasskeyRecord {
  /** The credential id, base64url. */
  id: string;
  userId: string;
  /** The name its owner gave it. */
  name: string;
  /** The credential public key (COSE), base64url. */
  publicKey: string;
  /** The signature counter last seen (WebAuthn Level 3 §6.1.1); 0 for authenticators that keep none. */
  counter: number;
  /** How the browser can reach the authenticator (usb, internal, hybrid, …), as it said at registration. */
  transports: string[];
  /** The backup eligibility (BE) flag at registration: a passkey that may be synced; it never changes (WebAuthn Level 3 §6.1.3). */
  backupEligible: boolean;
  /** The backup state (BS) flag at the last use: synced now. */
  backedUp: boolean;
  /** Epoch seconds. */
  createdAt: number;
  /** Epoch seconds of the last sign-in with it; 0 before the first. */
  lastUsedAt: number;
}

/** One use of a passkey, as its assertion reported it. */
export interface PasskeyUse {
  counter: number;
  backedUp: boolean;
  /** Epoch seconds. */
  usedAt: number;
}

/** Users' passkeys, by user and by credential id (a discoverable credential names itself, not its owner). */
export interface PasskeyStore {
  /** The user's passkeys, oldest first. */
  list(userId: string): Promise<PasskeyRecord[]>;
  /** The passkey with this credential id, whoever owns it. */
  find(credentialId: string): Promise<PasskeyRecord | undefined>;
  /** Adds a passkey; false when its credential id is registered already, to anyone (WebAuthn Level 3 §7.1 step 26). */
  add(record: PasskeyRecord): Promise<boolean>;
  /** Renames one of the user's passkeys; false when it is none of theirs. */
  rename(userId: string, credentialId: string, name: string): Promise<boolean>;
  /** Removes one of the user's passkeys; false when it is none of theirs. */
  remove(userId: string, credentialId: string): Promise<boolean>;
  /**
   * Records a sign-in with a passkey, in one atomic step, only when its signature counter moved past the stored one
   * (or both are 0: an authenticator that keeps no counter). `stale_counter` otherwise: the credential may be cloned
   * (WebAuthn Level 3 §7.2 step 22, §6.1.1); `gone` when the passkey was removed.
   */
  recordUse(userId: string, credentialId: string, use: PasskeyUse): Promise<'recorded' | 'stale_counter' | 'gone'>;
  /** Forgets every passkey of the user. */
  clear(userId: string): Promise<void>;
}

/** What a WebAuthn challenge was made for, until its answer spends it. */
export interface PasskeyChallengeRecord {
  /** The ceremony: adding a passkey, signing in with one, or the second step of a password sign-in. */
  purpose: 'add' | 'sign-in' | 'second-step';
  /** The hash of the secret of the browser that asked (its pre-sign-in value, sign-in or second-step secret): only it may answer. */
  binding: string;
  /** The account, when the ceremony is for one (adding, the second step). */
  userId?: string;
  /** The name of a passkey being added. */
  name?: string;
}

/** WebAuthn challenges waiting for their answer, by the challenge's hash: each is spent once, on any instance. */
export interface PasskeyChallengeStore {
  create(challengeHash: string, record: PasskeyChallengeRecord, ttlMs: number): Promise<void>;
  /** Spends a challenge, once: of two concurrent takers, one gets it. */
  take(challengeHash: string): Promise<PasskeyChallengeRecord | undefined>;
}

/** A pushed authorization request (RFC 9126): the client that pushed it, and its parameters as sent. */
export interface PushedRequestRecord {
  clientId: string;
  /** The authorization request's parameters (RFC 6749 §4.1.1 and the rest), each once, as the client pushed them. */
  params: Record<string, string>;
  /** Whether a browser brought it to the authorization endpoint already (its lifetime is then the interaction's). */
  started: boolean;
}

/** Pushed authorization requests, by the hash of their request_uri's secret: read while a person signs in, spent by the code. */
export interface PushedRequestStore {
  /** Stores (or replaces) a request for ttlMs. */
  create(secretHash: string, record: PushedRequestRecord, ttlMs: number): Promise<void>;
  /** The live request; reads only. */
  get(secretHash: string): Promise<PushedRequestRecord | undefined>;
  /**
   * The live request of this client, marked started in the same atomic step, its lifetime then ttlMs from now (the
   * first time only): a browser brought it to the authorization endpoint. Undefined (and nothing changed) for another client's.
   */
  start(secretHash: string, clientId: string, ttlMs: number): Promise<PushedRequestRecord | undefined>;
  /** Spends it, once: of two concurrent takers, one gets it. */
  take(secretHash: string): Promise<PushedRequestRecord | undefined>;
}

/** An upstream identity (a provider's `sub`) linked to an account here: it signs that account in. */
export interface IdentityLink {
  /** The upstream provider's id here, when linked (for the account page and operators; not part of the identity). */
  providerId: string;
  /** The provider's issuer identifier: with the subject, the identity (OpenID Connect Core §2: `sub` is unique within an issuer). */
  issuer: string;
  /** The provider's `sub` for the person: stable and unique at that issuer, never reassigned. */
  subject: string;
  userId: string;
  /** Epoch seconds. */
  linkedAt: number;
}

/**
 * Upstream identities linked to accounts: each identity (issuer and subject) to one account at most, never found by
 * email. Keyed by the issuer, not the provider id, so a provider entry given another issuer links none of the old one's.
 */
export interface IdentityLinkStore {
  /** The account an upstream identity signs in, if linked. */
  find(issuer: string, subject: string): Promise<string | undefined>;
  /** Links an identity to an account; false when it is linked already, to anyone (one claim, atomic). */
  link(link: IdentityLink): Promise<boolean>;
  /** The account's linked identities, oldest first. */
  listForUser(userId: string): Promise<IdentityLink[]>;
  /** Unlinks one of the account's identities; false when it is none of theirs. */
  unlink(userId: string, issuer: string, subject: string): Promise<boolean>;
  /** Unlinks every identity of the account (a deleted account). */
  clear(userId: string): Promise<void>;
}

/**
 * Client ID metadata documents as fetched (their JSON), shared by every instance for as long as their Cache-Control
 * allows, so a client's document is fetched once per period, not once per instance and request.
 */
export interface ClientDocumentStore {
  get(url: string): Promise<string | undefined>;
  /** Keeps a document for ttlSeconds (at least 1). */
  put(url: string, document: string, ttlSeconds: number): Promise<void>;
}

/**
 * When self-registered clients (RFC 7591) were last used: a mark per client that lives as long as the client may stay
 * unused, renewed by its use; a client whose mark is gone has expired.
 */
export interface ClientUseStore {
  /** Marks a client used now: the mark lives ttlSeconds more. */
  touch(clientId: string, ttlSeconds: number): Promise<void>;
  /** Of these clients, the ones whose mark lives. */
  inUse(clientIds: readonly string[]): Promise<Set<string>>;
}

/**
 * Identifiers that may be used once within their lifetime, on any instance: the `jti` of client assertions (RFC 7523
 * §3), and the steps of a scheduled key rotation (the instance that claims a step takes it), each under a name saying
 * whose it is.
 */
export interface ReplayStore {
  /** True the first time a name is seen while it is remembered (ttlSeconds); false for every later use. */
  firstUse(name: string, ttlSeconds: number): Promise<boolean>;
}

/** All of the service's state. */
export interface Store {
  readonly kind: 'redis' | 'memory';
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly revocations: RevocationStore;
  readonly rateLimits: RateLimitStore;
  readonly loginFailures: LoginFailureStore;
  readonly signIns: SignInStore;
  readonly codes: AuthorizationCodeStore;
  readonly deviceAuthorizations: DeviceAuthorizationStore;
  readonly consents: ConsentStore;
  readonly clients: ClientStore;
  readonly emailLinks: EmailLinkStore;
  readonly outbox: MailOutboxStore;
  readonly knownBrowsers: KnownBrowserStore;
  readonly mfa: MfaStore;
  readonly secondSteps: SecondStepStore;
  readonly passkeys: PasskeyStore;
  readonly passkeyChallenges: PasskeyChallengeStore;
  readonly pushedRequests: PushedRequestStore;
  readonly identityLinks: IdentityLinkStore;
  readonly providers: ProviderStore;
  readonly resources: ResourceStore;
  readonly clientDocuments: ClientDocumentStore;
  readonly clientUses: ClientUseStore;
  readonly replays: ReplayStore;
  /** Resolves while the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
