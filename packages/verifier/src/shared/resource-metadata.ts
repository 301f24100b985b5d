/**
 * RFC 9728 protected resource metadata: where a resource's metadata lives, what it says, and the `resource_metadata`
 * attribute of a WWW-Authenticate challenge that points a client to it. The server's forward-auth serves it for the
 * APIs behind a gateway, the Fastify plugin for its own service; both the same way.
 */

/** The well-known path of RFC 9728 §3.1, put between a resource identifier's host and its path. */
export const METADATA_PATH = '/.well-known/oauth-protected-resource';

/** Where a resource's metadata lives on its own host (RFC 9728 §3.1; a path of `/` alone adds nothing, as RFC 8414 §3.1). */
export function metadataUrlOf(identifier: string): string {
  const url = new URL(identifier);
  return `${url.origin}${METADATA_PATH}${url.pathname === '/' ? '' : url.pathname}`;
}

/** What a protected resource says of itself. */
export interface ProtectedResourceDescription {
  /** Its resource identifier (RFC 8707 §2): the `aud` of the tokens it accepts. */
  resource: string;
  /** The issuers whose tokens it accepts. */
  authorizationServers: readonly string[];
  scopes?: readonly string[] | undefined;
  name?: string | undefined;
}

/** The RFC 9728 §2 metadata document. */
export function protectedResourceMetadata(description: ProtectedResourceDescription): Record<string, unknown> {
  return {
    resource: description.resource,
    authorization_servers: [...description.authorizationServers],
    // RFC 6750 §2.1 only: tokens in a form body or the query string are never read.
    bearer_methods_supported: ['header'],
    ...(description.scopes === undefined ? {} : { scopes_supported: [...description.scopes] }),
    ...(description.name === undefined ? {} : { resource_name: description.name }),
  };
}

/** A Bearer challenge with the resource's metadata URL added (RFC 9728 §5.1), for a client to find who issues its tokens. */
export function withResourceMetadata(challenge: string, metadataUrl: string | undefined): string {
  return metadataUrl === undefined ? challenge : `${challenge}, resource_metadata="${metadataUrl}"`;
}
