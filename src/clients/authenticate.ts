import { oauthError, type ServiceError } from '../errors.js';
import { decodeFormComponent } from '../form-encoding.js';
import type { Client } from './client.js';
import type { ClientRegistry } from './registry.js';
import { secretMatches } from './secret.js';

/** What a request offers to identify its client (RFC 6749 §2.3). */
export interface ClientCredentials {
  authorization: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** A JWT client assertion (RFC 7523 §2.2: private_key_jwt) and its type. */
  clientAssertion?: string | undefined;
  clientAssertionType?: string | undefined;
}

interface Presented {
  clientId: string;
  secret: string | undefined;
  basic: boolean;
}

// Compared against when the client is unknown, so that both failures cost the same.
const NO_SECRET = Buffer.alloc(32);

function failure(basic: boolean): ServiceError {
  // RFC 6749 §5.2: a 401 after HTTP Basic carries a WWW-Authenticate with the scheme used.
  return oauthError('invalid_client', 'client authentication failed', basic ? { 'www-authenticate': 'Basic realm="token", charset="UTF-8"' } : {});
}

/** Reads client_secret_basic (id and secret form-urlencoded inside Basic, RFC 6749 §2.3.1) or the body parameters. */
function presented(credentials: ClientCredentials): Presented {
  const header = credentials.authorization;
  if (header !== undefined && /^basic /i.test(header)) {
    if (credentials.clientSecret !== undefined)
      throw oauthError('invalid_request', 'use one client authentication method, not Basic and client_secret together');
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw failure(true);
    const clientId = decodeFormComponent(decoded.slice(0, colon));
    const secret = decodeFormComponent(decoded.slice(colon + 1));
    if (clientId === undefined || secret === undefined) throw failure(true);
    if (credentials.clientId !== undefined && credentials.clientId !== clientId)
      throw oauthError('invalid_request', 'client_id differs from the one in the Authorization header');
    return { clientId, secret, basic: true };
  }
  if (credentials.clientId === undefined) throw failure(false);
  return { clientId: credentials.clientId, secret: credentials.clientSecret, basic: false };
}

/** The client id a request claims, when it claims one in a readable form; nothing is checked. */
export function claimedClientId(credentials: ClientCredentials): string | undefined {
  try {
    return presented(credentials).clientId;
  } catch {
    return undefined;
  }
}

/** Whether a secret is the one a rotation replaced, within that rotation's grace. */
function previousMatches(client: Client | undefined, secret: string | undefined, now: number): boolean {
  const previous = client?.previousSecret;
  return previous !== undefined && secret !== undefined && now < previous.until && secretMatches(secret, previous.hash);
}

/**
 * Identifies the calling client: a public client by its client_id, a confidential one by its
 * secret (or, during a rotation's grace, the previous one). Unknown client and wrong secret give the same 401
 * invalid_client, after `onFailure` hears the client id the request claimed (for the audit log). `now` is in epoch seconds.
 */
export function authenticateClient(
  registry: ClientRegistry,
  credentials: ClientCredentials,
  onFailure: (claimedClientId: string | undefined) => void = () => {},
  now: number = Date.now() / 1000,
): Client {
  let offered: Presented;
  try {
    offered = presented(credentials);
  } catch (error) {
    if ((error as ServiceError).code === 'invalid_client') onFailure(credentials.clientId);
    throw error;
  }
  const { clientId, secret, basic } = offered;
  const refuse = () => {
    onFailure(clientId);
    return failure(basic);
  };
  const client = registry.get(clientId);
  if (client?.type === 'public') {
    // A public client has no secret; one that sends a secret is misconfigured or not who it says.
    if (secret !== undefined) throw refuse();
    return client;
  }
  const matches = secretMatches(secret ?? '', client?.secretHash ?? NO_SECRET) || previousMatches(client, secret, now);
  if (!client || secret === undefined || !matches) throw refuse();
  return client;
}
