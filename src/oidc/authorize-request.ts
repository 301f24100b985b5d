import { createHash } from 'node:crypto';
import type { Client } from '../clients/client.js';
import { matchesRedirectUri } from '../clients/redirect-uri.js';
import type { ClientRegistry } from '../clients/registry.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import { ACR_VALUES, type AcrValue } from '../tokens/authentication-context.js';
import { oauthError, ServiceError } from '../errors.js';
import { PKCE_VALUE } from './pkce.js';

/** A JWK SHA-256 thumbprint (RFC 7638): 32 bytes in base64url. */
const JWK_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/** The longest `state` and `nonce` kept (they come back verbatim in a redirect and an ID token). */
const STATE_MAX = 512;

/** A validated authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1). */
export interface AuthorizationRequest {
  client: Client;
  redirectUri: string;
  state: string | undefined;
  scope: string;
  codeChallenge: string;
  nonce: string | undefined;
  prompt: ReadonlySet<'none' | 'login' | 'consent'>;
  /** Seconds since the person's last sign-in beyond which they must sign in again. */
  maxAge: number | undefined;
  /** The authentication context classes asked for, most wanted first (OpenID Connect Core §3.1.2.1); only ACR_VALUES are kept. */
  acrValues: readonly AcrValue[];
  /** The resource the tokens are meant for (RFC 8707 §2), when the request names one: their `aud`. */
  resource: string | undefined;
  /** The request_uri it was pushed under (RFC 9126), spent by the code it yields; undefined for a request sent through the browser. */
  pushed: string | undefined;
  /** The DPoP key the code is bound to (RFC 9449 §10: `dpop_jkt`, or the key of the PAR request's proof): only a proof of it redeems the code. */
  dpopJkt: string | undefined;
}

/** The registries an authorization request is checked against. */
export interface AuthorizationRegistries {
  clients: ClientRegistry;
  resources: ResourceRegistry;
}

/** acr_values as asked: space-separated, the ones this service knows kept in order (an unknown one is no error: §3.1.2.1 makes them voluntary). */
function acrValuesOf(value: string | undefined): AcrValue[] {
  return (value ?? '').split(' ').filter((acr): acr is AcrValue => (ACR_VALUES as readonly string[]).includes(acr));
}

/** What the endpoint does with a request it cannot serve: a page when the redirect URI is not to be trusted, else a redirect. */
export type AuthorizationProblem =
  | { kind: 'page'; error: string; description: string }
  | { kind: 'redirect'; redirectUri: string; state: string | undefined; error: string; description: string };

/** The query of an authorization request as Fastify parses it: a repeated parameter is an array. */
export type AuthorizationQuery = Readonly<Record<string, string | string[] | undefined>>;

/** A parameter's one value: RFC 6749 §3.1 says parameters MUST NOT be included more than once. */
function single(query: AuthorizationQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw oauthError('invalid_request', `parameter repeated: ${name}`);
  return value === '' ? undefined : value;
}

/**
 * The resource named (RFC 8707 §2), checked as at the token endpoint. One per request: RFC 8707 allows several, and
 * invalid_target is its answer to a combination the server does not serve (tokens here name one resource).
 */
function resourceOf(query: AuthorizationQuery, client: Client, resources: ResourceRegistry): string | undefined {
  const value = query.resource;
  if (Array.isArray(value)) throw oauthError('invalid_target', 'one resource per request');
  return value === undefined || value === '' ? undefined : resources.targetFor(client, value);
}

function promptOf(value: string | undefined): Set<'none' | 'login' | 'consent'> {
  const values = new Set((value ?? '').split(' ').filter(Boolean));
  for (const prompt of values)
    if (prompt !== 'none' && prompt !== 'login' && prompt !== 'consent')
      throw oauthError('invalid_request', `prompt value not supported: ${prompt.slice(0, 32)}`);
  if (values.has('none') && values.size > 1) throw oauthError('invalid_request', 'prompt=none cannot be combined with other values');
  return values as Set<'none' | 'login' | 'consent'>;
}

function maxAgeOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw oauthError('invalid_request', 'max_age must be a whole number of seconds');
  return Number(value);
}

/** The client and redirect URI, trusted only when both check out; anything else is answered with a page, never a redirect. */
function trustedTarget(query: AuthorizationQuery, clients: ClientRegistry): { client: Client; redirectUri: string } | AuthorizationProblem {
  let clientId: string | undefined;
  let redirectUri: string | undefined;
  try {
    clientId = single(query, 'client_id');
    redirectUri = single(query, 'redirect_uri');
  } catch (error) {
    return { kind: 'page', error: 'invalid_request', description: (error as ServiceError).message };
  }
  const client = clientId === undefined ? undefined : clients.get(clientId);
  if (!client) return { kind: 'page', error: 'invalid_client', description: 'The application that sent you here is not registered with this service.' };
  if (!client.grantTypes.has('authorization_code'))
    return { kind: 'page', error: 'unauthorized_client', description: 'This application may not sign people in here.' };
  if (redirectUri === undefined) return { kind: 'page', error: 'invalid_request', description: 'The request names no redirect_uri.' };
  // RFC 9700 §4.1.3: exact comparison; a redirect URI that does not match is never redirected to (open redirector).
  if (!matchesRedirectUri(client.redirectUris, redirectUri))
    return { kind: 'page', error: 'invalid_request', description: 'The redirect_uri is not registered for this application.' };
  return { client, redirectUri };
}

/**
 * Validates an authorization request. An unknown client or an unregistered redirect URI is a page (RFC 6749
 * §4.1.2.1); every other problem goes back to the client's redirect URI with `error` (and `state`).
 */
export function parseAuthorizationRequest(query: AuthorizationQuery, registries: AuthorizationRegistries): AuthorizationRequest | AuthorizationProblem {
  const target = trustedTarget(query, registries.clients);
  if ('kind' in target) return target;
  const { client, redirectUri } = target;
  let state: string | undefined;
  try {
    const presentedState = single(query, 'state');
    // A state too long to keep is not echoed either: the refusal goes back without it.
    if (presentedState !== undefined && presentedState.length > STATE_MAX) throw oauthError('invalid_request', 'state is too long');
    state = presentedState;
    if (single(query, 'response_type') !== 'code') throw oauthError('unsupported_response_type', 'response_type must be code');
    const codeChallenge = single(query, 'code_challenge');
    // OAuth 2.1 and RFC 9700 §2.1.1: PKCE for every client, and only S256 (plain gives no protection if the request leaks).
    if (codeChallenge === undefined) throw oauthError('invalid_request', 'code_challenge is required (PKCE, RFC 7636)');
    if (single(query, 'code_challenge_method') !== 'S256') throw oauthError('invalid_request', 'code_challenge_method must be S256');
    if (!PKCE_VALUE.test(codeChallenge)) throw oauthError('invalid_request', 'code_challenge is malformed');
    const nonce = single(query, 'nonce');
    if (nonce !== undefined && nonce.length > STATE_MAX) throw oauthError('invalid_request', 'nonce is too long');
    const resource = resourceOf(query, client, registries.resources);
    const scope = registries.resources.grantScope(client, resource, single(query, 'scope'));
    const prompt = promptOf(single(query, 'prompt'));
    const dpopJkt = single(query, 'dpop_jkt');
    // RFC 9449 §10: the JWK SHA-256 thumbprint (RFC 7638) of the key the client will prove at the token endpoint.
    if (dpopJkt !== undefined && !JWK_THUMBPRINT.test(dpopJkt)) throw oauthError('invalid_request', 'dpop_jkt is not a JWK SHA-256 thumbprint');
    return {
      client,
      redirectUri,
      state,
      scope,
      codeChallenge,
      nonce,
      prompt,
      maxAge: maxAgeOf(single(query, 'max_age')),
      acrValues: acrValuesOf(single(query, 'acr_values')),
      resource,
      pushed: undefined,
      dpopJkt,
    };
  } catch (error) {
    if (error instanceof ServiceError) return { kind: 'redirect', redirectUri, state, error: error.code, description: error.message };
    throw error;
  }
}

/**
 * What identifies one authorization request across the steps of its interaction (login, consent): its client,
 * redirect URI, PKCE challenge, state, nonce, scope and resource, hashed. The challenge is new for every request, so a sign-in
 * made for this request (SignInRecord.authenticatedFor) answers no other.
 */
export function requestFingerprint(request: AuthorizationRequest): string {
  const parts = [
    request.client.clientId,
    request.redirectUri,
    request.codeChallenge,
    request.state ?? null,
    request.nonce ?? null,
    request.scope,
    request.resource ?? null,
    request.dpopJkt ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}
