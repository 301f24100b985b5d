/** The token exchange grant's name (RFC 8693 §2.1). */
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The device authorization grant's name (RFC 8628 §3.4). */
export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The grant types the token endpoint serves (RFC 6749 §4.1, §4.3, §4.4, §6, RFC 8628, RFC 8693), in the order discovery lists them. A
 * name here and a grant in registry.ts go together: the registry's type makes the compiler refuse either alone.
 */
export const GRANT_TYPES = ['authorization_code', 'password', 'refresh_token', 'client_credentials', DEVICE_CODE, TOKEN_EXCHANGE] as const;

/** A grant type the token endpoint serves. */
export type GrantType = (typeof GRANT_TYPES)[number];
