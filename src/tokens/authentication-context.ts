import type { AcrValue } from '@tokensmith/verifier/shared';

/**
 * The authentication context classes this service tells apart (discovery's acr_values_supported), weakest first:
 * `pwd`, a password alone; `mfa`, more than one factor. An ID token's and an access token's `acr` is the one its
 * sign-in meets. One list for the service and the verifier library (its shared module).
 */
export { ACR_VALUES, type AcrValue } from '@tokensmith/verifier/shared';

/** The RFC 8176 methods of a password alone. */
export const AMR_PASSWORD: readonly string[] = ['pwd'];

/** The `acr` a sign-in's methods meet (RFC 8176 amr): `mfa` with more than one factor, else `pwd`. */
export function acrOf(amr: readonly string[] | undefined): AcrValue {
  return amr?.includes('mfa') ? 'mfa' : 'pwd';
}
