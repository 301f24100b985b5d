import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauthError } from '../errors.js';
import { scopeTokens } from '../tokens/scope.js';
import { challenge, inSchemeOf, insufficientUserAuthentication, invalidToken, verifiedBearer, withResourceMetadataOf } from '../http/bearer.js';
import { ACR_VALUES, isAcrValue, metadataUrlOf, unmetAuthentication, type AuthenticationRequirement } from '@tokensmith/verifier/shared';
import type { LaneAnswer, LaneRoute } from '../http/lane-route.js';
import type { RouteServices } from '../services.js';
import type { AccessTokenClaims } from '../tokens/verify.js';
import { errorResponses, NO_STORE_HEADERS, noStore } from './schemas.js';
import type { Verdict } from '../tokens/token-acceptance.js';

/** What these routes use of the services. */
export type ForwardAuthServices = Pick<RouteServices, 'accessTokens' | 'config' | 'dpop' | 'resources' | 'tokenAcceptance' | 'verifiedTokens'>;

/** The methods a gateway may forward: the original request's method (Envoy) or GET (nginx, Traefik). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

// Claims copied into headers must be visible ASCII: no CR/LF (header injection) and nothing a proxy could misread.
const HEADER_SAFE = /^[\x20-\x7e]*$/;

interface Requirements {
  scope?: string;
  aud?: string;
  /** The older name of `aud`. */
  audience?: string;
  /** How the person must have signed in (RFC 9470): an acr at least this strong, a sign-in at most max_age seconds old. */
  acr?: string;
  max_age?: string;
}

/** The longest max_age a gateway may demand: a year, in seconds. */
const MAX_AGE_LIMIT = 31_536_000;

const forwardAuthSchema = {
  summary: 'Forward-auth for API gateways',
  description:
    'For nginx auth_request and Traefik ForwardAuth. Reads Authorization: Bearer (never the query string), or Authorization: DPoP with the DPoP proof of a bound token (RFC 9449 §7.1), checked against the original request the gateway passes in X-Forwarded-Method, X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri (400 when it passes none); a bound token sent as Bearer is 401 invalid_token, a flawed or replayed proof 401 invalid_dpop_proof with a DPoP challenge. 200 with every identity header (X-Auth-Subject, X-Auth-Client-Id, X-Auth-Scope, X-Auth-Session; empty where one does not apply, so a gateway that copies them overwrites whatever the client sent) for a valid, unexpired, unrevoked token; 401 without a valid token, and 401 invalid_token for a token of another audience (?aud=x or X-Required-Audience; RFC 6750 §3.1); 403 when a required scope (?scope=a+b or X-Required-Scope) is missing; 401 insufficient_user_authentication with `acr_values` and `max_age` in the challenge (RFC 9470 §3) when the sign-in behind the token is weaker than ?acr= (or X-Required-Acr) or older than ?max_age= seconds (or X-Required-Max-Age). Any other query parameter (a misspelled rule) is 400, so a misconfigured gateway fails closed.',
  tags: ['gateway'],
  security: [{ bearerAuth: [] }],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      scope: { type: 'string', maxLength: 1024, description: 'Space-separated scopes the token must all have.' },
      aud: { type: 'string', maxLength: 256, description: 'An audience the token must have (its `aud` claim); another is 401 invalid_token.' },
      audience: { type: 'string', maxLength: 256, description: 'The older name of `aud`; the same rule.' },
      acr: {
        type: 'string',
        enum: [...ACR_VALUES],
        description: 'The authentication context class the sign-in must meet (`mfa` meets `pwd`); a token without `acr` (a client’s own) meets none.',
      },
      max_age: { type: 'string', pattern: '^[0-9]{1,8}$', description: 'Seconds since the sign-in (`auth_time`) at most (up to a year).' },
    },
  },
  response: {
    200: { description: 'Allowed; the X-Auth-* headers describe the caller', type: 'null' },
    ...errorResponses(400, 401, 403, 503),
  },
};

const { querystring: _gatewayQuery, ...withoutQuery } = forwardAuthSchema;
const forwardAuthPathSchema = {
  ...withoutQuery,
  summary: 'Forward-auth for Envoy ext_authz',
  description:
    "As /forward-auth, for gateways that append the original request path (Envoy ext_authz). The query string is the original request's, not the gateway's, so it is never read: a required scope comes from X-Required-Scope, a required audience from X-Required-Audience, a required sign-in from X-Required-Acr and X-Required-Max-Age.",
};

/** The request headers the checks read. */
type CheckHeaders = FastifyRequest['headers'];

/** No scope required: most checks. */
const NO_SCOPES: readonly string[] = [];

function requiredScopes(headers: CheckHeaders, query: Requirements): readonly string[] {
  const header = headers['x-required-scope'];
  if (query.scope === undefined && header === undefined) return NO_SCOPES;
  const fromHeader = typeof header === 'string' ? header : '';
  const tokens = scopeTokens(`${query.scope ?? ''} ${fromHeader}`);
  if (!tokens) throw oauthError('invalid_request', 'the required scope is malformed');
  return tokens;
}

/** The audience the gateway requires: `?aud=` (or its older name `?audience=`), or X-Required-Audience behind a path. */
function requiredAudience(headers: CheckHeaders, query: Requirements): string | undefined {
  if (query.aud !== undefined && query.audience !== undefined) throw oauthError('invalid_request', 'use aud or audience, not both');
  const header = headers['x-required-audience'];
  return query.aud ?? query.audience ?? (typeof header === 'string' ? header : undefined);
}

/** How the gateway requires the person to have signed in (?acr, ?max_age, or their headers); undefined when it does not. */
function requiredAuthentication(headers: CheckHeaders, query: Requirements): AuthenticationRequirement | undefined {
  const acrHeader = headers['x-required-acr'];
  const ageHeader = headers['x-required-max-age'];
  if (query.acr === undefined && query.max_age === undefined && acrHeader === undefined && ageHeader === undefined) return undefined;
  const acr = query.acr ?? (typeof acrHeader === 'string' ? acrHeader : undefined);
  if (acr !== undefined && !isAcrValue(acr)) throw oauthError('invalid_request', `the required acr is none of ${ACR_VALUES.join(', ')}`);
  const age = query.max_age ?? ageHeader;
  let maxAge: number | undefined;
  if (age !== undefined) {
    if (typeof age !== 'string' || !/^\d{1,8}$/.test(age) || Number(age) > MAX_AGE_LIMIT) {
      throw oauthError('invalid_request', 'the required max age is not a number of seconds up to a year');
    }
    maxAge = Number(age);
  }
  return { ...(acr === undefined ? {} : { acr }), ...(maxAge === undefined ? {} : { maxAge }) };
}

/**
 * The answer to a refused token. A token of another audience is not a valid token here (RFC 6750 §3.1: invalid for
 * other reasons; RFC 9068 §4: the resource server must reject a token whose aud does not name it): 401, as for any
 * invalid token. A missing scope is 403 insufficient_scope, naming what the gateway required.
 */
function refusalError(verdict: Extract<Verdict, { accepted: false }>, scopes: readonly string[]): Error {
  if (verdict.refusal !== 'insufficient_scope') return invalidToken();
  return oauthError('insufficient_scope', `the token lacks scope: ${(verdict.missing ?? []).join(' ')}`, challenge('insufficient_scope', scopes.join(' ')));
}

/**
 * Every identity header, empty where it does not apply (a service token has no session): a gateway copies the
 * headers of this answer over the client's, so one left out would let a client-sent X-Auth-Session through.
 * Undefined when a claim could not travel in a header. X-Auth-Scope is the scope the token's client holds now.
 */
function identityHeaders(claims: AccessTokenClaims, scope: string): Record<string, string> | undefined {
  const headers = { 'x-auth-subject': claims.sub, 'x-auth-client-id': claims.client_id, 'x-auth-scope': scope, 'x-auth-session': claims.sid ?? '' };
  return Object.values(headers).every((value) => HEADER_SAFE.test(value)) ? headers : undefined;
}

// A query the lane reads as the route's parser would: only unreserved characters, ':' and '+' (a space), no
// percent-encoding; anything else goes to the route.
const LANE_QUERY = /^[\w.~:+-]+=[\w.~:+-]*(&[\w.~:+-]+=[\w.~:+-]*)*$/;
const { scope: SCOPE_RULE, aud: AUD_RULE } = forwardAuthSchema.querystring.properties;
const LANE_BEARER = 'Bearer ';
// An original request's path behind /forward-auth/ that Fastify's router takes as it is (no percent-decoding to fail).
const LANE_PATH = /^\/forward-auth\/[\w.~/-]*$/;

/** The gateway's requirements in a query the lane reads, as the route's schema takes them; undefined for the route to decide. */
function laneRequirements(query: string): Requirements | undefined {
  if (query === '') return {};
  if (!LANE_QUERY.test(query)) return undefined;
  const requirements: Requirements = {};
  for (const pair of query.split('&')) {
    const [name, value] = pair.split('=') as [string, string];
    if ((name !== 'scope' && name !== 'aud') || requirements[name] !== undefined) return undefined;
    requirements[name] = value.replaceAll('+', ' ');
  }
  if ((requirements.scope?.length ?? 0) > SCOPE_RULE.maxLength || (requirements.aud?.length ?? 0) > AUD_RULE.maxLength) return undefined;
  return requirements;
}

/** The original request's URI behind `/forward-auth/` (Envoy ext_authz appends it to the path). */
const APPENDED_PATH = /^\/forward-auth(\/[^?]*)?(\?.*)?$/;

/**
 * The request the client made of the gateway, as a DPoP proof names it (RFC 9449 §4.3: htm, htu): the method
 * (X-Forwarded-Method, or X-Original-Method; behind a path, the request's own), and the URL from X-Forwarded-Proto,
 * X-Forwarded-Host (or Host behind a path) and X-Forwarded-Uri (or X-Original-URI; behind a path, the path itself).
 * Traefik sends these headers itself; nginx and Envoy send what their configuration says (docs/guides/gateways.md).
 * A gateway that sends none of them cannot have a bound token checked: 400, so the misconfiguration shows.
 */
function originalRequest(request: FastifyRequest, readQuery: boolean): { method: string; url: string } {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const appended = readQuery ? undefined : APPENDED_PATH.exec(request.url)?.[1];
  const method = header('x-forwarded-method') ?? header('x-original-method') ?? (readQuery ? undefined : request.method);
  const proto = header('x-forwarded-proto');
  const host = header('x-forwarded-host') ?? (readQuery ? undefined : header('host'));
  const uri = header('x-forwarded-uri') ?? header('x-original-uri') ?? appended;
  if (method === undefined || proto === undefined || host === undefined || uri === undefined || !uri.startsWith('/')) {
    throw oauthError(
      'invalid_request',
      'a DPoP-bound token needs the original request: the gateway must send X-Forwarded-Method, X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri',
    );
  }
  return { method: method.toUpperCase(), url: `${proto}://${host}${uri}` };
}

/**
 * The fast lane's forward-auth (http/fast-lane.ts): a GET with a token this instance verified before and revocation
 * lists it holds live, allowed by the same checks as the route's; every other check, and every refusal, is the route's.
 */
function forwardAuthLane(services: ForwardAuthServices, route: string, readQuery: boolean): LaneRoute {
  // The answer of each remembered verification, built once per scope its client holds (the claims object lives as
  // long as the memory of it; a client the admin API narrows holds a narrower scope).
  const answers = new WeakMap<AccessTokenClaims, { scope: string; answer: LaneAnswer | undefined }>();
  const answerFor = (claims: AccessTokenClaims, scope: string) => {
    const known = answers.get(claims);
    if (known !== undefined && known.scope === scope) return known.answer;
    const identity = identityHeaders(claims, scope);
    const answer = identity && { status: 200, headers: { ...identity, ...NO_STORE_HEADERS }, body: '' };
    answers.set(claims, { scope, answer });
    return answer;
  };
  return {
    route,
    matches: readQuery ? (path) => path === '/forward-auth' : (path) => LANE_PATH.test(path),
    answer(query, headers) {
      const requirements = readQuery ? laneRequirements(query) : {};
      const authorization = headers.authorization;
      // Only `Bearer <token>` exactly, and only a token remembered: its syntax passed bearerToken when it was verified.
      if (requirements === undefined || authorization === undefined || !authorization.startsWith(LANE_BEARER)) return undefined;
      // A required sign-in is judged by the route alone.
      if (headers['x-required-acr'] !== undefined || headers['x-required-max-age'] !== undefined) return undefined;
      const claims = services.verifiedTokens.remembered(authorization.slice(LANE_BEARER.length), services.accessTokens.clock);
      // A DPoP-bound token sent as a bearer token is the route's to refuse (RFC 9449 §7.2).
      if (claims === undefined || claims.cnf !== undefined) return undefined;
      const use = { revocation: 'held', scopes: requiredScopes(headers, requirements), audience: requiredAudience(headers, requirements) } as const;
      const verdict = services.tokenAcceptance.judgeHere(claims, use);
      // A refusal, or a judgement this instance cannot make alone, is the route's.
      return verdict?.accepted ? answerFor(claims, verdict.scope) : undefined;
    },
  };
}

/** GET|POST|… /forward-auth[/*]: one verification from keys and revocation lists held in memory. */
export async function forwardAuthRoutes(app: FastifyInstance, services: ForwardAuthServices): Promise<void> {
  // Gateways may forward a body of any type; it is never read, so no parser can fail on it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  /** The handler of one route: `readQuery` says whether the query string holds the gateway's requirements. */
  const handler = (readQuery: boolean) => async (request: FastifyRequest<{ Querystring: Requirements }>, reply: FastifyReply) => {
    const query = readQuery ? request.query : {};
    const scopes = requiredScopes(request.headers, query);
    const audience = requiredAudience(request.headers, query);
    const authentication = requiredAuthentication(request.headers, query);
    try {
      return await decide(request, reply, { scopes, audience, authentication, readQuery });
    } catch (thrown) {
      const error = inSchemeOf(request, thrown);
      // RFC 9728 §5.1: a refusal for a registered resource points the client to its metadata, and so to this service.
      const resource = audience === undefined ? undefined : services.resources.get(audience);
      throw resource === undefined ? error : withResourceMetadataOf(error, metadataUrlOf(resource.identifier));
    }
  };

  /** Judges the request's token against the gateway's requirements; 200 with the identity headers, or the refusal thrown. */
  const decide = async (
    request: FastifyRequest,
    reply: FastifyReply,
    {
      scopes,
      audience,
      authentication,
      readQuery,
    }: { scopes: readonly string[]; audience: string | undefined; authentication: AuthenticationRequirement | undefined; readQuery: boolean },
  ) => {
    const claims = await verifiedBearer(request, services, (of) => originalRequest(of, readQuery));
    const verdict = await services.tokenAcceptance.judge(claims, { revocation: 'mirror', audience, scopes });
    if (!verdict.accepted) throw refusalError(verdict, scopes);
    if (authentication !== undefined) {
      const unmet = unmetAuthentication(claims, authentication, Math.floor(services.accessTokens.clock() / 1000));
      if (unmet !== undefined) throw insufficientUserAuthentication(authentication, unmet);
    }
    const headers = identityHeaders(claims, verdict.scope);
    if (headers === undefined) throw invalidToken();
    return reply.code(200).headers(headers).send();
  };

  const route = (url: string, schema: typeof forwardAuthSchema | typeof forwardAuthPathSchema, readQuery: boolean) =>
    app.route({ method: [...METHODS], url, schema, onSend: noStore, config: { lane: forwardAuthLane(services, url, readQuery) }, handler: handler(readQuery) });
  route('/forward-auth', forwardAuthSchema, true);
  route('/forward-auth/*', forwardAuthPathSchema, false);
}
