/** How much of a User-Agent header a session, a sign-in or an audit event keeps. */
export const USER_AGENT_MAX = 256;

/**
 * Where a request came from: the client's address (`request.ip`, which TRUST_PROXY decides) and its User-Agent. The
 * one shape sessions, sign-ins, grants and audit events take it in.
 */
export interface RequestOrigin {
  ip: string;
  userAgent: string;
}

/** The part of a User-Agent that is kept (USER_AGENT_MAX characters), so a long header cannot grow what is stored. */
export function keptUserAgent(userAgent: string): string {
  return userAgent.slice(0, USER_AGENT_MAX);
}
