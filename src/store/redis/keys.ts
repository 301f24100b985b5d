/**
 * Every Redis key name the store uses, in one place. The Lua scripts build none: each is given every key it
 * touches (test/store/redis-scripts.test.ts checks that against a real Redis).
 */
export function redisKeys(prefix: string) {
  return {
    user: (id: string) => `${prefix}user:${id}`,
    username: (usernameKey: string) => `${prefix}username:${usernameKey}`,
    session: (sid: string) => `${prefix}session:${sid}`,
    refresh: (tokenHash: string) => `${prefix}refresh:${tokenHash}`,
    userSessions: (userId: string) => `${prefix}user-sessions:${userId}`,
    revokedSid: (sid: string) => `${prefix}revoked-sid:${sid}`,
    revokedJti: (jti: string) => `${prefix}revoked-jti:${jti}`,
    revocationLog: () => `${prefix}revocation-log`,
    rateLimit: (key: string) => `${prefix}rate:${key}`,
    loginFailures: (key: string) => `${prefix}login-failures:${key}`,
    revocationChannel: () => `${prefix}revocations`,
    signIn: (secretHash: string) => `${prefix}sign-in:${secretHash}`,
    userSignIns: (userId: string) => `${prefix}user-sign-ins:${userId}`,
    code: (codeHash: string) => `${prefix}code:${codeHash}`,
    consents: (userId: string) => `${prefix}consents:${userId}`,
  };
}

/** The key builders of one prefix. */
export type RedisKeys = ReturnType<typeof redisKeys>;
