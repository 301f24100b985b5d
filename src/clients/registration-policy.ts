/** Who may register clients at the registration endpoint (RFC 7591 §3): nobody, holders of an initial access token, or anyone. */
export const CLIENT_REGISTRATION_POLICIES = ['closed', 'initial-access-token', 'open'] as const;

/** One of CLIENT_REGISTRATION_POLICIES (the CLIENT_REGISTRATION setting). */
export type ClientRegistrationPolicy = (typeof CLIENT_REGISTRATION_POLICIES)[number];
