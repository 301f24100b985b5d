/** Loopback hosts a native app may listen on with any port (RFC 8252 §7.3); `localhost` is not one (§8.3). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

/**
 * Why a registered redirect URI is unacceptable, or undefined when it is fine: an absolute URI without a fragment
 * (RFC 6749 §3.1.2), https, except http on a loopback address and a private-use scheme (reverse domain name,
 * so it has a dot) for native apps (RFC 8252 §7.1, §7.3).
 */
export function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  if (uri.includes('#')) return 'has a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'uses http on a host that is not a loopback address';
  if (url.protocol.slice(0, -1).includes('.')) return undefined;
  return 'uses a scheme that is neither https, http on loopback, nor a reverse-domain private-use scheme';
}

/** The URI without its port, for a loopback http URI; undefined for any other. */
function portless(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
    url.port = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * Whether a presented redirect URI is one of the registered ones: compared as strings, exactly (RFC 9700 §4.1.3),
 * except that a loopback http URI may name any port (RFC 8252 §7.3), the rest of it still exact.
 */
export function matchesRedirectUri(registered: readonly string[], presented: string): boolean {
  if (registered.includes(presented)) return true;
  const withoutPort = portless(presented);
  if (withoutPort === undefined || presented.includes('#')) return false;
  // The presented URI's text must be what URL parsing gives back, so that no variant spelling passes.
  if (new URL(presented).href !== presented) return false;
  return registered.some((uri) => portless(uri) === withoutPort);
}
