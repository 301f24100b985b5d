/**
 * Headers on every response. They suit the JSON API, where nothing may be sniffed, framed, referred or scripted; the
 * hosted pages replace the Content-Security-Policy with one that allows their style and forms (page-reply.ts).
 */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'cross-origin-resource-policy': 'same-site',
} as const;

/** The headers of every response: the security headers, and Strict-Transport-Security when hstsMaxAge > 0. */
export function responseHeaders(hstsMaxAge: number): Readonly<Record<string, string>> {
  return hstsMaxAge > 0 ? { ...SECURITY_HEADERS, 'strict-transport-security': `max-age=${hstsMaxAge}; includeSubDomains` } : { ...SECURITY_HEADERS };
}
