/**
 * Every Redis key name the store uses, in one place. The Lua scripts build none: each is given every key it
 * touches (test/store/redis-scripts.test.ts checks that against a real Redis).
 *
 * On a Redis Cluster the keys carry hash tags (docs/operations/scaling.md, "The Redis key space"): what one script touches shares a slot.
 * A session's keys are tagged with its sid (session, revoked-sid), a user's with the user id (user, the index
 * sets, consents), a client's consent index with the client id, and the revocation log shares the `revocations` tag with the feed's shard channel, and the mail outbox is one `outbox` slot. Refresh
 * lookups, usernames, addresses, jtis, sign-ins, codes, device requests and counters are keyed by their own name and spread over every slot.
 * Outside a cluster the names carry no braces: the same names earlier builds wrote.
 */
export function redisKeys(prefix: string, clustered = false) {
  const tag = clustered ? (id: string) => `{${id}}` : (id: string) => id;
  return {
    user: (id: string) => `${prefix}user:${tag(id)}`,
    username: (usernameKey: string) => `${prefix}username:${usernameKey}`,
    /** An address's claim: email key → the id of the user whose address it is. */
    email: (emailKey: string) => `${prefix}email:${emailKey}`,
    session: (sid: string) => `${prefix}session:${tag(sid)}`,
    refresh: (tokenHash: string) => `${prefix}refresh:${tokenHash}`,
    userSessions: (userId: string) => `${prefix}user-sessions:${tag(userId)}`,
    revokedSid: (sid: string) => `${prefix}revoked-sid:${tag(sid)}`,
    revokedJti: (jti: string) => `${prefix}revoked-jti:${jti}`,
    revocationLog: () => `${prefix}revocation-log${clustered ? ':{revocations}' : ''}`,
    revocationSequence: () => `${prefix}revocation-sequence${clustered ? ':{revocations}' : ''}`,
    rateLimit: (key: string) => `${prefix}rate:${key}`,
    loginFailures: (key: string) => `${prefix}login-failures:${key}`,
    revocationChannel: () => `${prefix}revocations${clustered ? ':{revocations}' : ''}`,
    signIn: (secretHash: string) => `${prefix}sign-in:${secretHash}`,
    userSignIns: (userId: string) => `${prefix}user-sign-ins:${tag(userId)}`,
    code: (codeHash: string) => `${prefix}code:${codeHash}`,
    /** A once-only identifier seen (a client assertion's jti), by the hash of its name, until it could no longer be used. */
    replay: (nameHash: string) => `${prefix}replay:${nameHash}`,
    /** A pushed authorization request (RFC 9126), by the hash of its request_uri's secret. */
    pushedRequest: (secretHash: string) => `${prefix}pushed-request:${secretHash}`,
    /** A self-registered client's last use (RFC 7591): gone once it has been unused for CLIENT_REGISTRATION_IDLE_TTL. */
    clientUse: (clientId: string) => `${prefix}client-use:${clientId}`,
    /** A device authorization request (RFC 8628), by its user code: the device code carries the user code, so one key serves both. */
    deviceRequest: (userCode: string) => `${prefix}device:${userCode}`,
    /** The browsers a user signed in from (a hash: browser hash → when last), for the new-browser notice. */
    userBrowsers: (userId: string) => `${prefix}user-browsers:${tag(userId)}`,
    /** A user's second factors (a hash: the authenticator app's secret, when it was added, its last step), and recovery codes (a set of hashes), in the user's slot. */
    mfa: (userId: string) => `${prefix}mfa:${tag(userId)}`,
    recoveryCodes: (userId: string) => `${prefix}recovery-codes:${tag(userId)}`,
    /** The secret of an authenticator app being set up, until confirmed. */
    pendingTotp: (userId: string) => `${prefix}pending-totp:${tag(userId)}`,
    /** A sign-in half done (the password right, the second factor to come), by its cookie secret's hash. */
    secondStep: (secretHash: string) => `${prefix}second-step:${secretHash}`,
    /** A user's passkeys (a hash: credential id → its JSON, `<id>:name`, `<id>:use` as "counter backedUp usedAt"), in the user's slot. */
    passkeys: (userId: string) => `${prefix}passkeys:${tag(userId)}`,
    /** Which user a passkey belongs to, by credential id: a discoverable credential names itself only. */
    passkeyOwner: (credentialId: string) => `${prefix}passkey:${credentialId}`,
    /** A WebAuthn challenge waiting for its answer, by the challenge's hash. */
    passkeyChallenge: (challengeHash: string) => `${prefix}passkey-challenge:${challengeHash}`,
    /** Which account an upstream identity (issuer and subject, hashed) signs in. */
    identity: (identityName: string) => `${prefix}identity:${identityName}`,
    /** A user's linked upstream identities (a hash: identity name → the link as JSON), in the user's slot. */
    userIdentities: (userId: string) => `${prefix}user-identities:${tag(userId)}`,
    /** A mailed link (verification, password reset), by its secret's hash. */
    emailLink: (secretHash: string) => `${prefix}email-link:${secretHash}`,
    /** The mail outbox, in one slot: a hash per mail, the due mails (a sorted set by when each is due), each user's mails. */
    outboxMail: (id: string) => `${prefix}outbox-mail${clustered ? ':{outbox}' : ''}:${id}`,
    outboxDue: () => `${prefix}outbox-due${clustered ? ':{outbox}' : ''}`,
    outboxUser: (userId: string) => `${prefix}outbox-user${clustered ? ':{outbox}' : ''}:${userId}`,
    consents: (userId: string) => `${prefix}consents:${tag(userId)}`,
    /** The users who gave a client a consent (a hash: user id → 1), so that deleting the client forgets them all. */
    clientConsents: (clientId: string) => `${prefix}client-consents:${tag(clientId)}`,
    /** Every usernameKey, in one sorted set (all scores 0): the admin user list pages through it by lex range. */
    usernames: () => `${prefix}usernames`,
    /** Set once every username written before the index existed is in it (RedisUsers.list backfills). */
    usernamesIndexed: () => `${prefix}usernames-indexed`,
    /** Runtime clients (a hash: client_id → JSON) and the counter every change raises, in one slot. */
    clients: () => `${prefix}clients${clustered ? ':{clients}' : ''}`,
    clientsVersion: () => `${prefix}clients-version${clustered ? ':{clients}' : ''}`,
    /** Runtime upstream providers (a hash: id → JSON) and their version counter, in one slot; a deleted id's hold. */
    providers: () => `${prefix}providers${clustered ? ':{providers}' : ''}`,
    providersVersion: () => `${prefix}providers-version${clustered ? ':{providers}' : ''}`,
    providerIdHold: (id: string) => `${prefix}provider-id-hold${clustered ? ':{providers}' : ''}:${id}`,
    /** Runtime protected resources (a hash: identifier → JSON) and their version counter, in one slot; a deleted one's hold. */
    resources: () => `${prefix}resources${clustered ? ':{resources}' : ''}`,
    resourcesVersion: () => `${prefix}resources-version${clustered ? ':{resources}' : ''}`,
    resourceHold: (identifier: string) => `${prefix}resource-hold${clustered ? ':{resources}' : ''}:${identifier}`,
    /** A client ID metadata document as fetched, by its URL's hash, expiring as its Cache-Control says. */
    clientDocument: (urlHash: string) => `${prefix}client-document:${urlHash}`,
    /** Holds a deleted client's id for a while (CLIENT_ID_HOLD_SECONDS), in the clients' slot. */
    clientIdHold: (clientId: string) => `${prefix}client-id-hold${clustered ? ':{clients}' : ''}:${clientId}`,
  };
}

/** The key builders of one prefix. */
export type RedisKeys = ReturnType<typeof redisKeys>;
