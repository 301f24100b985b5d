import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LimitName, RateLimitConfig } from '../config.js';
import { oauthError } from '../errors.js';
import { addressBucket } from './address-bucket.js';
import type { RateLimitStore } from '../store/types.js';
import { usernameBucket } from '../users/credentials.js';

const MINUTE = 60_000;
const HOUR = 3600_000;

/** Applies one named limit to a request; throws too_many_requests (429, Retry-After) when it is exceeded. */
export type Limiter = (name: LimitName, request: FastifyRequest) => Promise<void>;

/** @fastify/rate-limit's store contract over the service's own store (Redis: one Lua round trip per hit). */
function storeClass(counters: RateLimitStore): FastifyRateLimitStoreCtor {
  return class implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      counters.hit(key, timeWindow).then(
        ({ current, ttlMs }) => callback(null, { current, ttl: ttlMs }),
        (error: Error) => callback(error),
      );
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}

/**
 * The request's username bucket: the signed-in person's (a password change, by bearer token or on the account
 * page), else the username its body
 * names (a login or registration). Both name an account the same way, so they share one bucket.
 */
function usernameKey(request: FastifyRequest): string | undefined {
  const signedIn = request.caller?.user ?? request.pageUser;
  if (signedIn) return signedIn.usernameKey;
  const username = (request.body as { username?: unknown } | undefined)?.username;
  return typeof username === 'string' ? usernameBucket(username) : undefined;
}

/** The name or address a password reset request names, in the form its account would be found by. */
function loginKey(request: FastifyRequest): string | undefined {
  const login = (request.body as { login?: unknown } | undefined)?.login;
  return typeof login === 'string' ? usernameBucket(login.trim()) : undefined;
}

/**
 * Registers @fastify/rate-limit (not globally: each route applies the limits it needs) and returns the
 * limiter. Store errors are not skipped: with Redis down, limited routes answer 503 (fail closed).
 * Client IPs come from the socket, or from X-Forwarded-For only when TRUST_PROXY trusts the peer; IPv6
 * clients count per RATE_LIMIT_IPV6_PREFIX network (addressBucket).
 */
export async function registerRateLimits(
  app: FastifyInstance,
  config: RateLimitConfig,
  counters: RateLimitStore,
  onLimited: (bucket: LimitName, request: FastifyRequest) => void = () => {},
): Promise<Limiter> {
  if (!config.enabled) return async () => {};
  await app.register(rateLimit, { global: false, store: storeClass(counters), skipOnError: false });
  const client = (request: FastifyRequest) => addressBucket(request.ip, config.ipv6Prefix);
  const rules: Record<LimitName, [max: number, windowMs: number, key: (request: FastifyRequest) => string | undefined]> = {
    loginIp: [config.loginPerIp, MINUTE, client],
    loginUser: [config.loginPerUser, MINUTE, usernameKey],
    registerIp: [config.registerPerIp, HOUR, client],
    registerUser: [config.registerPerUser, HOUR, usernameKey],
    clientRegistrationIp: [config.clientRegistrationPerIp, HOUR, client],
    userCodeIp: [config.userCodePerIp, HOUR, client],
    userCodeUser: [config.userCodePerAccount, HOUR, usernameKey],
    resetIp: [config.resetPerIp, HOUR, client],
    resetLogin: [config.resetPerAccount, HOUR, loginKey],
    tokenIp: [config.tokenPerIp, MINUTE, client],
    otherIp: [config.otherPerIp, MINUTE, client],
    adminIp: [config.adminPerIp, MINUTE, client],
  };
  const limits = Object.fromEntries(
    Object.entries(rules).map(([name, [max, timeWindow, key]]) => {
      const bucket = (request: FastifyRequest) => {
        const value = key(request);
        return value === undefined ? undefined : `${name}:${value}`;
      };
      return [name, { key: bucket, check: app.createRateLimit({ max, timeWindow, keyGenerator: (request) => bucket(request) ?? '' }) }];
    }),
  ) as Record<LimitName, { key: (request: FastifyRequest) => string | undefined; check: ReturnType<FastifyInstance['createRateLimit']> }>;

  return async (name, request) => {
    const { check, key } = limits[name];
    if (key(request) === undefined) return;
    const result = await check(request);
    if (!result.isAllowed && result.isExceeded) {
      onLimited(name, request);
      throw oauthError('too_many_requests', 'too many requests; retry later', { 'retry-after': String(Math.max(1, result.ttlInSeconds)) });
    }
  };
}
