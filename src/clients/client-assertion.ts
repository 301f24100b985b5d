import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { VERIFY_CLOCK_TOLERANCE } from '@tokensmith/verifier/shared';
import { oauthError, type ServiceError } from '../errors.js';
import { guardedFetch, OutboundError } from '../outbound/guarded-fetch.js';
import type { ReplayStore } from '../store/types.js';
import type { Client } from './client.js';
import { publicKeySet } from './client-keys.js';
import type { ClientRegistry } from './registry.js';

/** The client_assertion_type of a JWT client assertion (RFC 7523 §2.2). */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The longest an assertion may still live when it arrives, in seconds: it is made for one request. */
const MAX_LIFETIME = 300;

/** Seconds a jwks_uri's keys are kept when its Cache-Control says nothing, and at most whatever it says. */
const DEFAULT_KEYS_MAX_AGE = 300;
const LONGEST_KEYS_MAX_AGE = 86_400;

/** Seconds before a jwks_uri is read again for a key it did not have (a rotation), so unknown kids cannot flood it. */
const REFETCH_AFTER = 60;

/** The largest JWK Set read from a jwks_uri. */
const MAX_JWKS_BYTES = 51_200;

/** What verifying client assertions works with. */
export interface ClientAssertionDependencies {
  clients: ClientRegistry;
  replays: ReplayStore;
  /** The issuer identifier: the one `aud` an assertion may carry. */
  issuer: string;
  /** How a jwks_uri may be read: the request-forgery guard's allowances (as for client metadata documents). */
  fetch: { allowLoopback: boolean; ca: Buffer | undefined };
  /** The algorithms an assertion may be signed with (ASSERTION_ALGORITHMS, narrowed by the security profile). */
  algorithms: readonly string[];
  /** Epoch milliseconds. */
  clock: () => number;
}

/** A client's keys read from its jwks_uri, until when they are fresh, and when they were read. */
interface RemoteKeys {
  getKey: JWTVerifyGetKey;
  freshUntil: number;
  readAt: number;
}

/**
 * private_key_jwt client authentication (RFC 7523 §2.2, §3; OpenID Connect Core §9): the client signs a short-lived
 * JWT with a key whose public half it registered (`jwks`, or `jwks_uri` read through the request-forgery guard and
 * kept as its Cache-Control says). The assertion's `iss` and `sub` are the client, its `aud` this issuer alone (the
 * current guidance: a token endpoint URL as `aud` let assertions be replayed at another server), it expires within five
 * minutes, and its `jti` is used once across every instance. Any failure is one invalid_client.
 */
export class ClientAssertions {
  readonly #remote = new Map<string, RemoteKeys>();

  constructor(private readonly deps: ClientAssertionDependencies) {}

  /** The client an assertion authenticates, when the request claims that client (or none); invalid_client otherwise. */
  async authenticate(assertion: string, claimedClientId: string | undefined, onFailure: (clientId: string | undefined) => void): Promise<Client> {
    let clientId: string | undefined;
    try {
      clientId = decodeJwt(assertion).sub;
    } catch {
      clientId = undefined;
    }
    const refuse = (why: string): ServiceError => {
      onFailure(clientId ?? claimedClientId);
      return oauthError('invalid_client', `client authentication failed: ${why}`);
    };
    if (clientId === undefined || (claimedClientId !== undefined && claimedClientId !== clientId)) throw refuse('the assertion does not name the client');
    const client = this.deps.clients.get(clientId);
    if (client?.keys === undefined) throw refuse('the client has no keys registered');
    const now = Math.floor(this.deps.clock() / 1000);
    let payload;
    try {
      ({ payload } = await this.#verify(assertion, client, now));
    } catch (error) {
      if (error instanceof OutboundError) throw refuse('its jwks_uri could not be read');
      if (error instanceof errors.JOSEError) throw refuse('the assertion is invalid');
      throw error;
    }
    if (payload.exp! - now > MAX_LIFETIME) throw refuse(`the assertion lives longer than ${MAX_LIFETIME} seconds`);
    // RFC 7523 §3 item 7: a jti used once, until the assertion could no longer be accepted anyway.
    const firstUse = await this.deps.replays.firstUse(`client-assertion:${clientId}:${payload.jti}`, payload.exp! - now + VERIFY_CLOCK_TOLERANCE);
    if (!firstUse) throw refuse('the assertion was used already');
    return client;
  }

  async #verify(assertion: string, client: Client, now: number) {
    const options = {
      issuer: client.clientId,
      subject: client.clientId,
      audience: this.deps.issuer,
      algorithms: [...this.deps.algorithms],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: VERIFY_CLOCK_TOLERANCE,
      currentDate: new Date(now * 1000),
    };
    const keys = client.keys!;
    if (keys.kind === 'jwks') return jwtVerify(assertion, createLocalJWKSet(keys.jwks), options);
    try {
      return await jwtVerify(assertion, await this.#remoteKeys(keys.uri, now, false), options);
    } catch (error) {
      // A key the set does not have yet: the client may have rotated; read its jwks_uri again, at most once a minute.
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      return jwtVerify(assertion, await this.#remoteKeys(keys.uri, now, true), options);
    }
  }

  /** The keys at a jwks_uri, read through the request-forgery guard and kept as long as its Cache-Control says. */
  async #remoteKeys(uri: string, now: number, missingKey: boolean): Promise<JWTVerifyGetKey> {
    const held = this.#remote.get(uri);
    if (held !== undefined && (missingKey ? now - held.readAt < REFETCH_AFTER : now < held.freshUntil)) return held.getKey;
    const fetched = await guardedFetch(uri, { ...this.deps.fetch, maxBytes: MAX_JWKS_BYTES, timeoutMs: 5000 });
    let set;
    try {
      set = publicKeySet(JSON.parse(fetched.body.toString('utf8')));
    } catch {
      throw new OutboundError('the jwks_uri did not answer JSON');
    }
    if (typeof set === 'string') throw new OutboundError(`the jwks_uri's ${set}`);
    const maxAge = Math.min(fetched.maxAge ?? DEFAULT_KEYS_MAX_AGE, LONGEST_KEYS_MAX_AGE);
    const keys = { getKey: createLocalJWKSet(set), freshUntil: now + maxAge, readAt: now };
    this.#remote.set(uri, keys);
    return keys.getKey;
  }
}
