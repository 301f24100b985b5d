/**
 * The authentication context classes this service tells apart (discovery's acr_values_supported): `pwd`, a password
 * alone; `mfa`, more than one factor. An ID token's `acr` is the one its sign-in meets.
 */
export const ACR_VALUES = ['pwd', 'mfa'] as const;
export type AcrValue = (typeof ACR_VALUES)[number];

/** The `acr` a sign-in's methods meet (RFC 8176 amr): `mfa` with more than one factor, else `pwd`. */
export function acrOf(amr: readonly string[] | undefined): AcrValue {
  return amr?.includes('mfa') ? 'mfa' : 'pwd';
}
