import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../../errors.js';
import { parseAuthorizationRequest, requestFingerprint, type AuthorizationQuery, type AuthorizationRequest } from '../authorize-request.js';
import { setSecondStepCookie } from '../http/second-step-cookie.js';
import { AUTHORIZE_PATH, SECOND_STEP_PATH } from '../http/paths.js';
import { setContinueCookie } from '../http/continue-cookie.js';
import { pageText, problemPageFor, registerPageHeaders, sendPage } from '../../http/page-reply.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { csrfMatches, csrfToken } from '../http/sign-in-cookie.js';
import { type SignedIn, signedInPerson, type SignInServices } from '../http/signed-in.js';
import { formTargetOf } from '../../http/page-layout.js';
import { consentPage } from '../pages/sign-in-pages.js';
import type { RouteServices } from '../../services.js';
import { scopeList } from '../../tokens/scope.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';

/** What these routes use of the services. */
export type AuthorizeServices = Pick<
  RouteServices,
  'authorization' | 'clientDocuments' | 'clientSync' | 'clients' | 'consents' | 'limit' | 'mfa' | 'pushedRequests' | 'resources'
> &
  SignInServices;

const authorizeSchema = {
  summary: 'Authorization request',
  description:
    'The authorization endpoint (RFC 6749 §4.1.1, RFC 7636, OpenID Connect Core §3.1.2): response_type=code, client_id, redirect_uri (exact match), code_challenge with code_challenge_method=S256 (required), state, scope, nonce, prompt (none, login, consent), max_age. Answers by redirecting to the client (code or error, with state and iss, RFC 9207), to the login page, or with the consent page; an unknown client or redirect URI gets an error page.',
  tags: ['sign-in'],
  security: PUBLIC,
  response: {
    200: HTML_RESPONSE('The consent page.'),
    302: { description: 'To the client (code or error), or to the login page.', type: 'null' },
    400: HTML_RESPONSE('An error page: the client or redirect URI cannot be trusted with a redirect.'),
    503: HTML_RESPONSE('The service is unavailable.'),
  },
};

const decisionSchema = {
  summary: 'Consent decision',
  description: 'The consent form: allow or deny the authorization request it carries; then answers as the authorization endpoint does.',
  tags: ['sign-in'],
  security: PUBLIC,
  consumes: ['application/x-www-form-urlencoded'],
  body: {
    type: 'object',
    required: ['authorization_request', 'decision', 'csrf'],
    properties: {
      authorization_request: { type: 'string', maxLength: 8192 },
      decision: { type: 'string', enum: ['allow', 'deny'] },
      csrf: { type: 'string', maxLength: 128 },
    },
  },
  response: {
    302: { description: 'To the client (code or error), or to the login page.', type: 'null' },
    400: HTML_RESPONSE('An error page.'),
    403: HTML_RESPONSE('The form did not come from this service (CSRF).'),
    503: HTML_RESPONSE('The service is unavailable.'),
  },
};

/** An authorization request's query string as the endpoint's parsed query (a repeated parameter is an array). */
function queryOf(search: string): AuthorizationQuery {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    const previous = query[name];
    query[name] = previous === undefined ? value : ([] as string[]).concat(previous, value);
  }
  return query;
}

/** The query string of a request URL, without the `?`. */
function searchOf(url: string): string {
  const question = url.indexOf('?');
  return question < 0 ? '' : url.slice(question + 1);
}

/** Where a redirect URI takes the browser back to, as the consent page names it: its host, or a native app's scheme. */
function returnsTo(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.host : url.protocol.slice(0, -1);
}

/** Routes for the authorization code flow: GET /oauth/authorize, and the consent form's POST to it. */
export async function authorizeRoutes(app: FastifyInstance, services: AuthorizeServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);

  /** Carries a valid request on: to the client, to the login page, or to the consent page. */
  async function proceed(reply: FastifyReply, request: AuthorizationRequest, search: string, current: SignedIn | undefined, consentGiven = false) {
    const step = await services.authorization.next(request, current, consentGiven);
    if (step.kind === 'redirect') return reply.redirect(step.location, 302);
    if (step.kind === 'step-up' && current !== undefined) {
      // Only the missing factor is asked for; the request goes on once it is given, as after a sign-in.
      const secret = await services.mfa.beginSecondStep(current.user, {
        returnTo: `${AUTHORIZE_PATH}?${search}`,
        authenticatedFor: requestFingerprint(request),
      });
      setSecondStepCookie(reply, services.config, secret);
      return reply.redirect(SECOND_STEP_PATH, 302);
    }
    if (step.kind === 'enrol' && current !== undefined) {
      // MFA=required and no second factor yet: set one up on the account page, which then offers the request again.
      setContinueCookie(reply, services.config, `${AUTHORIZE_PATH}?${search}`);
      return reply.redirect('/account', 302);
    }
    if (step.kind === 'sign-in' || current === undefined) {
      // After signing in, the request goes on without prompt=login, or it would ask again forever.
      const params = new URLSearchParams(search);
      const prompt = (params.get('prompt') ?? '').split(' ').filter((value) => value && value !== 'login');
      if (prompt.length > 0) params.set('prompt', prompt.join(' '));
      else params.delete('prompt');
      return reply.redirect(`/login?${new URLSearchParams({ return_to: `${AUTHORIZE_PATH}?${params}` })}`, 302);
    }
    const view = {
      text: pageText(reply.request),
      clientId: request.client.clientId,
      display: request.client.display,
      returnsTo: returnsTo(request.redirectUri),
      scopes: scopeList(request.scope),
      resource: request.resource === undefined ? undefined : { identifier: request.resource, name: services.resources.get(request.resource)?.name },
      csrf: csrfToken(current.secret),
      request: search,
    };
    return sendPage(reply, 200, consentPage({ ...view, formTargets: [formTargetOf(request.redirectUri)] }));
  }

  /**
   * A pushed request's parameters in place of the query (RFC 9126 §4: client_id and request_uri name it, the rest is
   * ignored), and the query later steps carry (the login page's way back, the consent form): those parameters with the
   * request_uri, which stays authoritative. Undefined when the request_uri is not a live one of that client.
   */
  async function pushedQuery(query: AuthorizationQuery): Promise<{ query: AuthorizationQuery; search: string; requestUri: string } | undefined> {
    const { client_id: clientId, request_uri: requestUri } = query;
    if (Array.isArray(clientId) || typeof requestUri !== 'string') return undefined;
    const params = await services.pushedRequests.expand(clientId, requestUri);
    if (params === undefined) return undefined;
    return { query: params, search: new URLSearchParams({ ...params, request_uri: requestUri }).toString(), requestUri };
  }

  /** Parses the request and answers the ones that cannot go on: a page, or a redirect with the error. */
  async function handle(reply: FastifyReply, search: string, decide: (request: AuthorizationRequest, search: string) => Promise<FastifyReply>) {
    // A client_id that is a URL names its metadata document: read it (again when stale) before the request is judged.
    try {
      await services.clientDocuments.resolve(new URLSearchParams(search).get('client_id') ?? '');
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return sendPage(reply, 400, problemPageFor(reply.request, 'problem.bad_sign_in_request', { asWritten: error.message }));
    }
    let query = queryOf(search);
    let requestUri: string | undefined;
    if (query.request_uri !== undefined) {
      const pushed = await pushedQuery(query);
      if (pushed === undefined) {
        const description = 'The request_uri is unknown, has expired, was used already, or is another application’s. Start again from the application.';
        return sendPage(reply, 400, problemPageFor(reply.request, 'problem.bad_sign_in_request', { asWritten: description }));
      }
      ({ query, search, requestUri } = pushed);
    }
    let parsed = parseAuthorizationRequest(query, services);
    if ('kind' in parsed && parsed.error === 'invalid_client') {
      // A client registered a moment ago at another instance (RFC 7591) goes straight here: read the store once more.
      await services.clientSync.refresh();
      parsed = parseAuthorizationRequest(query, services);
    }
    if ('kind' in parsed && parsed.kind === 'page') {
      return sendPage(reply, 400, problemPageFor(reply.request, 'problem.bad_sign_in_request', { asWritten: parsed.description }));
    }
    if ('kind' in parsed) return reply.redirect(services.authorization.refusal(parsed), 302);
    if (requestUri === undefined && (services.config.requirePushedAuthorizationRequests || parsed.client.requirePushedRequests)) {
      const description = 'this application must push its authorization requests first (RFC 9126)';
      return reply.redirect(
        services.authorization.refusal({ kind: 'redirect', redirectUri: parsed.redirectUri, state: parsed.state, error: 'invalid_request', description }),
        302,
      );
    }
    return decide({ ...parsed, pushed: requestUri }, search);
  }

  app.get(AUTHORIZE_PATH, { schema: authorizeSchema }, async (request, reply) => {
    await services.limit('otherIp', request);
    return handle(reply, searchOf(request.url), async (parsed, search) => proceed(reply, parsed, search, await signedInPerson(request, services)));
  });

  app.post(
    AUTHORIZE_PATH,
    { schema: decisionSchema },
    async (request: FastifyRequest<{ Body: { authorization_request: string; decision: string; csrf: string } }>, reply) => {
      await services.limit('otherIp', request);
      const { authorization_request: sent, decision, csrf } = request.body;
      return handle(reply, sent, async (parsed, search) => {
        const current = await signedInPerson(request, services);
        if (!current) return proceed(reply, parsed, search, undefined);
        if (!csrfMatches(csrf, current.secret)) return sendPage(reply, 403, problemPageFor(request, 'problem.refused_title', 'problem.foreign_form_back'));
        if (decision === 'deny') {
          return reply.redirect(
            services.authorization.refusal({
              kind: 'redirect',
              redirectUri: parsed.redirectUri,
              state: parsed.state,
              error: 'access_denied',
              description: 'the person denied the request',
            }),
            302,
          );
        }
        await services.consents.grant(current.signIn.userId, parsed.client, parsed);
        return proceed(reply, parsed, search, current, true);
      });
    },
  );
}
