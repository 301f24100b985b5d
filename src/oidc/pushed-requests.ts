import type { Client } from '../clients/client.js';
import { oauthError, type ErrorCode } from '../errors.js';
import type { PushedRequestStore } from '../store/types.js';
import { generateSecret, hashSecret } from '../tokens/secret.js';
import { parseAuthorizationRequest, type AuthorizationRegistries } from './authorize-request.js';

/** What a request_uri of this service starts with (RFC 9126 §2.2). */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/** Seconds a pushed request waits for its browser (`expires_in`): short, and under FAPI 2.0's 600. */
export const PUSHED_REQUEST_TTL = 90;

/** Seconds it lives once a browser brought it: the interaction's (sign-in, second factor, consent), as a sign-in for it counts. */
const INTERACTION_TTL = 600;

/** The authorization request parameters a pushed request keeps: what the authorization endpoint reads, never a client secret. */
export const AUTHORIZATION_PARAMETERS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'prompt',
  'max_age',
  'acr_values',
  'resource',
  'dpop_jkt',
] as const;

/** The pushed authorization response (RFC 9126 §2.2). */
export interface PushedAuthorizationResponse {
  request_uri: string;
  expires_in: number;
}

/**
 * Pushed authorization requests (RFC 9126), independent of HTTP: a client posts its authorization request, authenticated
 * and validated at once, and sends the browser with the request_uri alone, so nothing of the request travels through
 * the browser or can be changed there. The request is read while its person signs in and spent by the code it yields:
 * a request_uri gives one code, once (§4), and only to the client that pushed it.
 */
export class PushedAuthorizationService {
  constructor(
    private readonly store: PushedRequestStore,
    private readonly registries: AuthorizationRegistries,
  ) {}

  /** Validates and keeps a client's authorization request (RFC 9126 §2.1); its errors are the authorization endpoint's, as JSON. */
  async push(client: Client, body: Readonly<Record<string, string | undefined>>): Promise<PushedAuthorizationResponse> {
    if (body.request_uri !== undefined) throw oauthError('invalid_request', 'request_uri cannot be pushed (RFC 9126 §2.1)');
    if (body.request !== undefined) throw oauthError('invalid_request', 'request objects are not supported: push the parameters themselves');
    if (body.client_id !== undefined && body.client_id !== client.clientId) throw oauthError('invalid_request', 'client_id is not the authenticated client');
    const params: Record<string, string> = { client_id: client.clientId };
    for (const name of AUTHORIZATION_PARAMETERS) if (body[name] !== undefined && name !== 'client_id') params[name] = body[name];
    const parsed = parseAuthorizationRequest(params, this.registries);
    if ('kind' in parsed) throw oauthError(parsed.error as ErrorCode, parsed.description);
    const secret = generateSecret();
    await this.store.create(hashSecret(secret), { clientId: client.clientId, params, started: false }, PUSHED_REQUEST_TTL * 1000);
    return { request_uri: `${REQUEST_URI_PREFIX}${secret}`, expires_in: PUSHED_REQUEST_TTL };
  }

  /**
   * The parameters of the request a request_uri names, when it is live and the client's (the authorization endpoint
   * takes these and ignores the rest of its query, RFC 9126 §4); undefined otherwise. The first time a browser brings
   * it, it is kept for the interaction.
   */
  async expand(clientId: string | undefined, requestUri: string): Promise<Record<string, string> | undefined> {
    if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined;
    const secretHash = hashSecret(requestUri.slice(REQUEST_URI_PREFIX.length));
    // RFC 9126 §4: bound to the client that pushed it; another client's try changes nothing.
    if (clientId === undefined) return undefined;
    return (await this.store.start(secretHash, clientId, INTERACTION_TTL * 1000))?.params;
  }

  /** Spends the request as its code is issued; false when it was spent already or has expired. */
  async spend(requestUri: string): Promise<boolean> {
    if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return false;
    return (await this.store.take(hashSecret(requestUri.slice(REQUEST_URI_PREFIX.length)))) !== undefined;
  }
}
