import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { problemPageFor, registerPageHeaders, sendPage } from '../../http/page-reply.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { safeReturnTo, authorizationRequestOf } from '../../oidc/http/return-to.js';
import { cookieOptions, cookies } from '../../oidc/http/sign-in-cookie.js';
import { startSignIn, type StartSignInServices } from '../../oidc/http/signed-in.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';
import type { PendingFederation } from '../federation-service.js';
import type { UpstreamProvider } from '../provider.js';

/** What these routes use of the services. */
export type FederationPageServices = Pick<RouteServices, 'clients' | 'federation' | 'limit'> & StartSignInServices;

/** Seconds a browser may spend at the provider before its callback is refused. */
const PENDING_MAX_AGE = 600;

/** The RFC 8176 method of a sign-in through another provider. */
const AMR_FEDERATED = ['fed'];

function federationCookieName(secure: boolean): string {
  return secure ? '__Host-tokensmith-federation' : 'tokensmith-federation';
}

/** The pending sign-in a callback's cookie holds, if it is one. */
function pendingOf(request: FastifyRequest, secure: boolean): PendingFederation | undefined {
  const raw = cookies(request)[federationCookieName(secure)];
  if (raw === undefined || raw === '' || raw.length > 4096) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PendingFederation>;
    const { providerId, codeVerifier, state, nonce } = parsed;
    if ([providerId, codeVerifier, state, nonce].some((value) => typeof value !== 'string')) return undefined;
    return { providerId: providerId!, codeVerifier: codeVerifier!, state: state!, nonce: nonce!, returnTo: safeReturnTo(parsed.returnTo) };
  } catch {
    return undefined;
  }
}

/**
 * Sign-in through upstream OpenID providers: GET /login/<id> sends the browser to the provider (PKCE, state and nonce
 * kept in a cookie of its own for 10 minutes), GET /login/<id>/callback checks its answer, finds the account linked to
 * the upstream identity or creates one (just-in-time; never by a matching email), and starts the sign-in (amr `fed`).
 */
export async function federationRoutes(app: FastifyInstance, services: FederationPageServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);
  const { config, federation } = services;
  const secure = config.cookieSecure;

  function refused(request: FastifyRequest, reply: FastifyReply, status: number, text: 'federation.refused_text' | 'federation.unavailable_text') {
    reply.clearCookie(federationCookieName(secure), cookieOptions(config, 0));
    return sendPage(reply, status, problemPageFor(request, 'federation.refused_title', text));
  }

  function known(request: FastifyRequest<{ Params: { provider: string } }>, reply: FastifyReply): UpstreamProvider | undefined {
    const provider = federation.provider(request.params.provider);
    if (!provider) void sendPage(reply, 404, problemPageFor(request, 'federation.refused_title', 'federation.unknown_text'));
    return provider;
  }

  const params = { type: 'object', required: ['provider'], properties: { provider: { type: 'string', maxLength: 32 } } } as const;

  app.get(
    '/login/:provider',
    {
      schema: {
        summary: 'Sign in through another provider',
        description: 'Sends the browser to the upstream OpenID provider `provider` (PROVIDERS_FILE), with PKCE S256, state and nonce.',
        tags: ['sign-in'],
        security: PUBLIC,
        params,
        querystring: { type: 'object', properties: { return_to: { type: 'string', maxLength: 8192 } } },
        response: {
          303: { description: 'On to the provider.', type: 'null' },
          404: HTML_RESPONSE('No such provider.'),
          503: HTML_RESPONSE('The provider cannot be reached.'),
        },
      },
    },
    async (request: FastifyRequest<{ Params: { provider: string }; Querystring: { return_to?: string } }>, reply) => {
      await services.limit('otherIp', request);
      const provider = known(request, reply);
      if (!provider) return reply;
      let started;
      try {
        started = await federation.begin(provider, safeReturnTo(request.query.return_to));
      } catch {
        return refused(request, reply, 503, 'federation.unavailable_text');
      }
      const value = Buffer.from(JSON.stringify(started.pending)).toString('base64url');
      reply.setCookie(federationCookieName(secure), value, cookieOptions(config, PENDING_MAX_AGE));
      return reply.redirect(started.url.href, 303);
    },
  );

  app.get(
    '/login/:provider/callback',
    {
      schema: {
        summary: 'The callback of another provider',
        description:
          'Where the upstream provider sends the browser back (register `<ISSUER>/login/<id>/callback` there): the code is redeemed and checked (state, nonce, PKCE, the ID token, RFC 9207 `iss` when the provider supports it), then the linked account, or a new one, is signed in (amr `fed`). Any failure ends on a page, with no account half made.',
        tags: ['sign-in'],
        security: PUBLIC,
        params,
        response: {
          303: { description: 'Signed in: on to the authorization request or the account page.', type: 'null' },
          400: HTML_RESPONSE('The answer was refused (denied, a failed check, a replayed or foreign callback).'),
          404: HTML_RESPONSE('No such provider.'),
          503: HTML_RESPONSE('The provider cannot be reached.'),
        },
      },
    },
    async (request: FastifyRequest<{ Params: { provider: string } }>, reply) => {
      await services.limit('loginIp', request);
      const provider = known(request, reply);
      if (!provider) return reply;
      const pending = pendingOf(request, secure);
      // The cookie goes with the first callback: a replayed callback finds none.
      if (!pending || pending.providerId !== provider.id) return refused(request, reply, 400, 'federation.refused_text');
      reply.clearCookie(federationCookieName(secure), cookieOptions(config, 0));
      const callback = new URL(request.url, `${config.issuer}/`);
      const outcome = await federation.complete(provider, new URL(`${federation.callbackUrl(provider.id)}${callback.search}`), pending);
      if (!outcome.ok)
        return refused(
          request,
          reply,
          outcome.reason === 'unavailable' ? 503 : 400,
          outcome.reason === 'unavailable' ? 'federation.unavailable_text' : 'federation.refused_text',
        );
      const user = await federation.accountFor(outcome.identity, requestContext(request));
      if (!user) return refused(request, reply, 400, 'federation.refused_text');
      const authenticatedFor = authorizationRequestOf(pending.returnTo, services.clients);
      return startSignIn(request, reply, services, user, { via: 'federation', returnTo: pending.returnTo, authenticatedFor, amr: AMR_FEDERATED });
    },
  );
}
