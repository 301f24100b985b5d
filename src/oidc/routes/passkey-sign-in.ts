import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { pageText } from '../../http/page-reply.js';
import { passkeyAnswer, passkeyAnswerBody, passkeyOptionsRoute, sendPasskeyOptions, sendPasskeyRefusal } from '../../routes/passkey-options.js';
import { passkeyAmr } from '../../mfa/passkeys.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';
import { authorizationRequestOf, safeReturnTo } from '../http/return-to.js';
import { csrfMatches, presentedBrowserBinding } from '../http/sign-in-cookie.js';
import { startSignIn, type StartSignInServices } from '../http/signed-in.js';

/** What these routes use of the services. */
export type PasskeySignInServices = Pick<RouteServices, 'accounts' | 'clients' | 'limit' | 'passkeys' | 'resources' | 'users'> & StartSignInServices;

/** Shows the login page again, with a status and a message (the sign-in routes' own). */
export type ShowLogin = (
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  returnTo: string | undefined,
  extra?: { message?: string },
) => FastifyReply | Promise<FastifyReply>;

/**
 * Signing in with a passkey, no username typed (discoverable credentials): the login page's script asks for a
 * challenge bound to this browser's pre-sign-in value, the authenticator answers it, and the answer is posted as a
 * form. A passkey with user verification proves two factors, so no second step follows.
 */
export function passkeySignInRoutes(app: FastifyInstance, services: PasskeySignInServices, showLogin: ShowLogin): void {
  const { config } = services;

  passkeyOptionsRoute(
    app,
    {
      url: '/login/passkey/options',
      summary: 'Passkey sign-in: a challenge',
      description:
        "WebAuthn options for navigator.credentials.get(): a single-use challenge (5 minutes), bound to this browser's pre-sign-in cookie, user verification required, any passkey of this service (discoverable credentials, autofill included).",
      ceremony: 'a passkey sign-in',
    },
    async (request, reply) => {
      await services.limit('otherIp', request);
      if (!services.passkeys.enabled) return sendPasskeyRefusal(reply, 404, 'not_found', pageText(request).text('passkey.failed'));
      const binding = presentedBrowserBinding(request, config);
      if (!csrfMatches(request.body.csrf, binding) || binding === undefined) {
        return sendPasskeyRefusal(reply, 403, 'access_denied', pageText(request).text('login.form_expired'));
      }
      return sendPasskeyOptions(reply, await services.passkeys.signInOptions(binding, 'sign-in'));
    },
  );

  app.post(
    '/login/passkey',
    {
      schema: {
        summary: 'Sign in with a passkey',
        description:
          "The authenticator's answer (`credential`, WebAuthn's AuthenticationResponseJSON) to this browser's challenge: checked (signature, origin, RP id, user verification, counter), then the sign-in starts (amr `hwk` or `swk`, and `mfa`) and continues as a password sign-in would.",
        tags: ['sign-in'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: passkeyAnswerBody({ return_to: { type: 'string', maxLength: 8192 } }),
        response: {
          303: { description: 'Signed in: on to the authorization request or the account page.', type: 'null' },
          401: HTML_RESPONSE('The login page: the passkey was refused (unknown, a failed check, a counter that went back, a spent challenge).'),
          403: HTML_RESPONSE('The form did not come from this service (CSRF), or the address must be confirmed first (SIGN_IN_REQUIRES_VERIFIED_EMAIL).'),
          429: HTML_RESPONSE('Too many attempts.'),
        },
      },
    },
    async (request: FastifyRequest<{ Body: { csrf: string; credential: string; return_to?: string } }>, reply) => {
      const returnTo = safeReturnTo(request.body.return_to);
      const text = pageText(request);
      const binding = presentedBrowserBinding(request, config);
      if (!csrfMatches(request.body.csrf, binding) || binding === undefined) {
        return showLogin(request, reply, 403, returnTo, { message: text.text('login.form_expired') });
      }
      await services.limit('loginIp', request);
      const context = requestContext(request);
      const proven = services.passkeys.enabled
        ? await services.passkeys.verify(passkeyAnswer(request.body.credential), binding, 'sign-in', context)
        : undefined;
      const user = proven?.ok ? await services.users.findActive(proven.passkey.userId) : undefined;
      if (!proven?.ok || !user) return showLogin(request, reply, 401, returnTo, { message: text.text('login.passkey_refused') });
      if (await services.accounts.mustVerifyEmail(user, 'passkey', context)) {
        return showLogin(request, reply, 403, returnTo, { message: text.text('login.verify_first') });
      }
      const authenticatedFor = authorizationRequestOf(returnTo, services);
      return startSignIn(request, reply, services, user, { via: 'passkey', returnTo, authenticatedFor, amr: passkeyAmr(proven.passkey) });
    },
  );
}
