import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { toServiceError } from '../../http/errors.js';
import { pageText, problemPageFor, registerPageHeaders, sendPage, waitText } from '../../http/page-reply.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';
import { clearSecondStepCookie, secondStepSecretOf } from '../http/second-step-cookie.js';
import { csrfMatches, csrfToken } from '../http/sign-in-cookie.js';
import { startSignIn, type StartSignInServices } from '../http/signed-in.js';
import { SECOND_STEP_PATH } from '../http/paths.js';
import { formTargets } from '../http/return-to.js';
import { secondStepPage, type SecondStepMethod } from '../pages/second-step-page.js';
import { passkeyAnswer, passkeyAnswerBody, passkeyOptionsRoute, sendPasskeyOptions, sendPasskeyRefusal } from '../../routes/passkey-options.js';
import type { SecondStepOutcome } from '../../mfa/mfa-service.js';

/** What these routes use of the services. */
export type SecondStepServices = Pick<RouteServices, 'clients' | 'limit' | 'mfa' | 'passkeys' | 'resources'> & StartSignInServices;

/**
 * The second step of a sign-in (an account with an authenticator app or a passkey): a code from the app, a passkey, or
 * a recovery code, after the password. The step lives behind a cookie of its own for SECOND_STEP_TTL; any instance finishes what another
 * began. Wrong codes count on the account's throttle, as wrong passwords do.
 */
export async function secondStepRoutes(app: FastifyInstance, services: SecondStepServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);
  const { config } = services;

  function expired(request: FastifyRequest, reply: FastifyReply) {
    clearSecondStepCookie(reply, config);
    return sendPage(reply, 400, problemPageFor(request, 'second_step.expired_title', 'second_step.expired_text'));
  }

  /** Shows the way asked for (or the account's first: the app, else a passkey), with links to its others. */
  async function show(request: FastifyRequest, reply: FastifyReply, status: number, asked: SecondStepMethod | undefined, message?: string) {
    const secret = secondStepSecretOf(request, config);
    const step = await services.mfa.pendingStep(secret);
    if (!step || secret === undefined) return expired(request, reply);
    const factors = await services.mfa.factors(step.userId);
    const methods: SecondStepMethod[] = [
      ...(factors.totp ? (['totp'] as const) : []),
      ...(factors.passkeys.length > 0 && services.passkeys.enabled ? (['passkey'] as const) : []),
      'recovery',
    ];
    const method = asked !== undefined && methods.includes(asked) ? asked : methods[0]!;
    const view = { text: pageText(request), csrf: csrfToken(secret), method, methods, formTargets: formTargets(step.returnTo, services) };
    return sendPage(reply, status, secondStepPage(message === undefined ? view : { ...view, message }));
  }

  /** Starts the sign-in a completed second step proves, or shows why not. */
  async function completed(request: FastifyRequest, reply: FastifyReply, outcome: SecondStepOutcome, method: SecondStepMethod) {
    if (!outcome.ok) {
      if (outcome.reason === 'expired') return expired(request, reply);
      const words = outcome.reason === 'passkey_refused' ? 'second_step.passkey_refused' : 'second_step.wrong';
      return show(request, reply, 401, method, pageText(request).text(words));
    }
    clearSecondStepCookie(reply, config);
    const user = await services.users.findActive(outcome.userId);
    if (!user) return expired(request, reply);
    return startSignIn(request, reply, services, user, {
      via: 'second_step',
      returnTo: outcome.returnTo,
      authenticatedFor: outcome.authenticatedFor,
      amr: outcome.amr,
    });
  }

  app.get(
    SECOND_STEP_PATH,
    {
      schema: {
        summary: 'Second step page',
        description:
          "Asks for a code from the authenticator app, a passkey, or a recovery code (method; the account's first way by default) after the password.",
        tags: ['sign-in'],
        security: PUBLIC,
        querystring: { type: 'object', properties: { method: { type: 'string', enum: ['totp', 'recovery', 'passkey'] } } },
        response: { 200: HTML_RESPONSE('The code form.'), 400: HTML_RESPONSE('No second step is waiting (expired, or done).') },
      },
    },
    async (request: FastifyRequest<{ Querystring: { method?: SecondStepMethod } }>, reply) => {
      await services.limit('otherIp', request);
      return show(request, reply, 200, request.query.method);
    },
  );

  app.post(
    SECOND_STEP_PATH,
    {
      schema: {
        summary: 'Complete the second step',
        description:
          'Checks the code (an app code accepted once, within one 30 s step either side; a recovery code spent), then starts the sign-in and continues as the password sign-in would have. Wrong codes count on the account throttle (429 with the wait).',
        tags: ['sign-in'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: {
          type: 'object',
          required: ['csrf', 'code'],
          properties: {
            csrf: { type: 'string', maxLength: 128 },
            code: { type: 'string', maxLength: 64 },
            method: { type: 'string', enum: ['totp', 'recovery'] },
          },
        },
        response: {
          303: { description: 'Signed in: on to the authorization request or the account page.', type: 'null' },
          400: HTML_RESPONSE('No second step is waiting (expired, or done).'),
          401: HTML_RESPONSE('A wrong code.'),
          403: HTML_RESPONSE('The form did not come from this service (CSRF).'),
          429: HTML_RESPONSE('Too many wrong codes.'),
        },
      },
    },
    async (request: FastifyRequest<{ Body: { csrf: string; code: string; method?: 'totp' | 'recovery' } }>, reply) => {
      const method = request.body.method ?? 'totp';
      const secret = secondStepSecretOf(request, config);
      if (secret === undefined) return expired(request, reply);
      if (!csrfMatches(request.body.csrf, secret)) return sendPage(reply, 403, problemPageFor(request, 'problem.refused_title', 'problem.foreign_form'));
      let outcome;
      try {
        await services.limit('loginIp', request);
        const context = requestContext(request);
        outcome =
          method === 'totp'
            ? await services.mfa.completeWithCode(secret, request.body.code, context)
            : await services.mfa.completeWithRecoveryCode(secret, request.body.code, context, (id) => services.users.findActive(id));
      } catch (error) {
        const answer = toServiceError(error);
        if (answer.code !== 'too_many_requests') throw error;
        return show(request, reply, 429, method, pageText(request).text('second_step.too_many', { wait: waitText(pageText(request), answer) }));
      }
      return completed(request, reply, outcome, method);
    },
  );

  passkeyOptionsRoute(
    app,
    {
      url: `${SECOND_STEP_PATH}/passkey/options`,
      summary: 'Second step with a passkey: a challenge',
      description:
        "WebAuthn options for navigator.credentials.get(): a single-use challenge (5 minutes) bound to this second step's cookie; only the account's own passkeys may answer, with user verification.",
      ceremony: 'the second step',
    },
    async (request, reply) => {
      await services.limit('otherIp', request);
      const secret = secondStepSecretOf(request, config);
      if (secret === undefined || !csrfMatches(request.body.csrf, secret)) {
        return sendPasskeyRefusal(reply, 403, 'access_denied', pageText(request).text('problem.foreign_form'));
      }
      const options = services.passkeys.enabled ? await services.mfa.secondStepPasskeyOptions(secret) : undefined;
      if (!options) return sendPasskeyRefusal(reply, 400, 'invalid_request', pageText(request).text('second_step.expired_text'));
      return sendPasskeyOptions(reply, options);
    },
  );

  app.post(
    `${SECOND_STEP_PATH}/passkey`,
    {
      schema: {
        summary: 'Complete the second step with a passkey',
        description:
          "The authenticator's answer (`credential`, WebAuthn's AuthenticationResponseJSON) to this step's challenge: one of the account's passkeys, user verified; then the sign-in starts (amr: the first factor, `pwd` or `fed`, then `hwk` or `swk`, and `mfa`).",
        tags: ['sign-in'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: passkeyAnswerBody(),
        response: {
          303: { description: 'Signed in: on to the authorization request or the account page.', type: 'null' },
          400: HTML_RESPONSE('No second step is waiting (expired, or done).'),
          401: HTML_RESPONSE('The passkey was refused.'),
          403: HTML_RESPONSE('The form did not come from this service (CSRF).'),
          429: HTML_RESPONSE('Too many attempts.'),
        },
      },
    },
    async (request: FastifyRequest<{ Body: { csrf: string; credential: string } }>, reply) => {
      const secret = secondStepSecretOf(request, config);
      if (secret === undefined) return expired(request, reply);
      if (!csrfMatches(request.body.csrf, secret)) return sendPage(reply, 403, problemPageFor(request, 'problem.refused_title', 'problem.foreign_form'));
      await services.limit('loginIp', request);
      const outcome = await services.mfa.completeWithPasskey(secret, passkeyAnswer(request.body.credential), requestContext(request));
      return completed(request, reply, outcome, 'passkey');
    },
  );
}
