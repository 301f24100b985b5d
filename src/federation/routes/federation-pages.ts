import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { pageText, problemPageFor, registerPageHeaders, sendPage } from '../../http/page-reply.js';
import type { MessageKey } from '../../http/locales/en.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { safeReturnTo, authorizationRequestOf } from '../../oidc/http/return-to.js';
import { signedInPerson, startSignIn, type StartSignInServices } from '../../oidc/http/signed-in.js';
import { SECOND_STEP_PATH } from '../../oidc/http/paths.js';
import { setSecondStepCookie } from '../../oidc/http/second-step-cookie.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';
import type { LinkOutcome, PendingFederation, UpstreamIdentity } from '../federation-service.js';
import { clearPendingCookie, pendingOf, setPendingCookie } from '../http/pending-cookie.js';
import { linkResultPage } from '../pages/link-result-page.js';
import type { UpstreamProvider } from '../provider.js';

/** What these routes use of the services. */
export type FederationPageServices = Pick<RouteServices, 'clients' | 'federation' | 'limit' | 'mfa' | 'resources'> & StartSignInServices;

/** The RFC 8176 method of a sign-in through another provider. */
const AMR_FEDERATED = ['fed'];

/**
 * Sign-in through upstream OpenID providers: GET /login/<id> sends the browser to the provider (PKCE, state and nonce
 * kept in a cookie of its own for 10 minutes), GET /login/<id>/callback checks its answer, finds the account linked to
 * the upstream identity or creates one (just-in-time; never by a matching email), and starts the sign-in (amr `fed`).
 */
export async function federationRoutes(app: FastifyInstance, services: FederationPageServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);
  const { config, federation } = services;

  function refused(request: FastifyRequest, reply: FastifyReply, status: number, text: MessageKey) {
    clearPendingCookie(reply, config);
    return sendPage(reply, status, problemPageFor(request, 'federation.refused_title', text));
  }

  /** What linking words each outcome, and with which status. */
  const LINK_OUTCOMES: Record<LinkOutcome, { status: number; text: MessageKey }> = {
    linked: { status: 200, text: 'federation.linked_text' },
    already_linked: { status: 200, text: 'federation.already_linked_text' },
    linked_elsewhere: { status: 409, text: 'federation.linked_elsewhere_text' },
    provider_linked: { status: 409, text: 'federation.provider_linked_text' },
  };

  /**
   * Ends a linking round trip: the identity joins the account only when this browser is still signed in as the account
   * that started it, in the very sign-in that proved it (so a callback carried to another browser links nothing).
   */
  async function linkIdentity(
    request: FastifyRequest,
    reply: FastifyReply,
    pending: PendingFederation,
    identity: UpstreamIdentity,
    provider: UpstreamProvider,
  ) {
    const person = await signedInPerson(request, services);
    if (!person || person.user.id !== pending.link!.userId || person.signIn.id !== pending.link!.signInId) {
      return refused(request, reply, 400, 'federation.link_signed_out_text');
    }
    const outcome = await federation.linkTo(identity, person.user, { ...requestContext(request), user_id: person.user.id });
    const { status, text } = LINK_OUTCOMES[outcome];
    return sendPage(reply, status, linkResultPage(pageText(request), provider.name, text, status === 200));
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
      setPendingCookie(reply, config, started.pending);
      return reply.redirect(started.url.href, 303);
    },
  );

  app.get(
    '/login/:provider/callback',
    {
      schema: {
        summary: 'The callback of another provider',
        description:
          'Where the upstream provider sends the browser back (register `<ISSUER>/login/<id>/callback` there): the code is redeemed and checked (state, nonce, PKCE, the ID token, RFC 9207 `iss` when the provider supports it), then the linked account, or a new one, is signed in (amr `fed`); never an account found by email. A round trip started from the account page links the identity to the signed-in account instead. Any failure ends on a page, with no account half made.',
        tags: ['sign-in'],
        security: PUBLIC,
        params,
        response: {
          200: HTML_RESPONSE('Linking: the identity is linked to the signed-in account (or was already).'),
          303: {
            description: 'Signed in: on to the authorization request or the account page; or, for an account with a second factor, on to its second step.',
            type: 'null',
          },
          400: HTML_RESPONSE(
            'The answer was refused (denied, a failed check, a replayed or foreign callback; linking: the browser no longer signed in as the account that asked).',
          ),
          403: HTML_RESPONSE('No account is linked to the identity, and the provider creates none (`create_accounts` false); or the account is disabled.'),
          409: HTML_RESPONSE('Linking: the identity signs another account in, or the account has another identity at this provider.'),
          404: HTML_RESPONSE('No such provider.'),
          503: HTML_RESPONSE('The provider cannot be reached.'),
        },
      },
    },
    async (request: FastifyRequest<{ Params: { provider: string } }>, reply) => {
      await services.limit('loginIp', request);
      const provider = known(request, reply);
      if (!provider) return reply;
      const pending = pendingOf(request, config);
      // The cookie goes with the first callback: a replayed callback finds none.
      if (!pending || pending.providerId !== provider.id) return refused(request, reply, 400, 'federation.refused_text');
      clearPendingCookie(reply, config);
      const callback = new URL(request.url, `${config.issuer}/`);
      const outcome = await federation.complete(provider, new URL(`${federation.callbackUrl(provider.id)}${callback.search}`), pending);
      if (!outcome.ok)
        return refused(
          request,
          reply,
          outcome.reason === 'unavailable' ? 503 : 400,
          outcome.reason === 'unavailable' ? 'federation.unavailable_text' : 'federation.refused_text',
        );
      if (pending.link) return linkIdentity(request, reply, pending, outcome.identity, provider);
      const account = await federation.accountFor(outcome.identity, requestContext(request));
      if (!account.ok) return refused(request, reply, 403, account.reason === 'not_linked' ? 'federation.not_linked_text' : 'federation.refused_text');
      const authenticatedFor = authorizationRequestOf(pending.returnTo, services);
      // The provider stands in for the password, not for the account's own second factor: an account with one is
      // asked for it here too, so a taken-over upstream account alone does not sign it in.
      if (await services.mfa.needsSecondStep(account.user.id)) {
        const step = await services.mfa.beginSecondStep(account.user, { returnTo: pending.returnTo, authenticatedFor }, AMR_FEDERATED);
        setSecondStepCookie(reply, config, step);
        return reply.redirect(SECOND_STEP_PATH, 303);
      }
      return startSignIn(request, reply, services, account.user, { via: 'federation', returnTo: pending.returnTo, authenticatedFor, amr: AMR_FEDERATED });
    },
  );
}
