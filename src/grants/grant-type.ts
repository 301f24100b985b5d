/**
 * The grant types the token endpoint serves (RFC 6749 §4.1, §4.3, §4.4, §6), in the order discovery lists them. A
 * name here and a grant in registry.ts go together: the registry's type makes the compiler refuse either alone.
 */
export const GRANT_TYPES = ['authorization_code', 'password', 'refresh_token', 'client_credentials'] as const;

/** A grant type the token endpoint serves. */
export type GrantType = (typeof GRANT_TYPES)[number];
