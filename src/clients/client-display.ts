/**
 * How a client presents itself to the people it asks for access (RFC 7591 §2 client metadata): its name, logo, home
 * page, privacy policy and terms of service, shown on the consent page. All optional; without a name the page shows
 * the client_id.
 */
export interface ClientDisplay {
  name?: string;
  logoUri?: string;
  clientUri?: string;
  policyUri?: string;
  tosUri?: string;
}

/** The entry fields (RFC 7591 names) and the ClientDisplay member each sets. */
export const DISPLAY_FIELDS = { client_name: 'name', logo_uri: 'logoUri', client_uri: 'clientUri', policy_uri: 'policyUri', tos_uri: 'tosUri' } as const;

/** The display fields (RFC 7591 names) an entry or metadata object sets, as they are given there. */
export function displayFieldsOf(source: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(DISPLAY_FIELDS).flatMap((field) => (source[field] === undefined ? [] : [[field, source[field]]])));
}

/** The longest client_name shown. */
export const CLIENT_NAME_MAX_LENGTH = 100;

/** The longest URI of the display fields. */
export const DISPLAY_URI_MAX_LENGTH = 2048;

/**
 * Why a display URI is unacceptable, or undefined: an absolute https URL (http only on a loopback address, for
 * development) without credentials or fragment. A person follows these links, and the logo is loaded by their
 * browser, so nothing else (`javascript:`, `data:`, plain http across the network) is taken.
 */
function displayUriProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (value.length > DISPLAY_URI_MAX_LENGTH) return `is longer than ${DISPLAY_URI_MAX_LENGTH} characters`;
  if (url.username !== '' || url.password !== '') return 'carries credentials';
  if (url.hash !== '') return 'has a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) return undefined;
  return 'must be an https URL';
}

/**
 * Reads the display fields of a client entry; answers what is wrong as a message for the entry's error, or the
 * display. client_name: 1 to 100 characters with no control characters.
 */
export function parseClientDisplay(entry: Record<string, unknown>): ClientDisplay | string {
  const display: ClientDisplay = {};
  for (const [field, member] of Object.entries(DISPLAY_FIELDS)) {
    const value = entry[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '') return `${field} must be a non-empty string`;
    if (field === 'client_name') {
      // eslint-disable-next-line no-control-regex
      if (value.length > CLIENT_NAME_MAX_LENGTH || /[\u0000-\u001f\u007f-\u009f]/.test(value))
        return `client_name must be at most ${CLIENT_NAME_MAX_LENGTH} characters, none of them control characters`;
    } else {
      const problem = displayUriProblem(value);
      if (problem !== undefined) return `${field} ${problem}`;
    }
    display[member] = value;
  }
  return display;
}
