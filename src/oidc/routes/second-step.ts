import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { toServiceError } from '../../http/errors.js';
import { formTargetOf } from '../../http/page-layout.js';
import { pageText, problemPageFor, registerPageHeaders, sendPage, waitText } from '../../http/page-reply.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';
import { clearSecondStepCookie, secondStepSecretOf } from '../http/second-step-cookie.js';
import { csrfMatches, csrfToken } from '../http/sign-in-cookie.js';
import { startSignIn, type StartSignInServices } from '../http/signed-in.js';
import { parseAuthorizationRequest } from '../authorize-request.js';
import { secondStepPage } from '../pages/second-step-page.js';

/** Where a sign-in's second step is asked for. */
export const SECOND_STEP_PATH = '/login/second-step';

/** What these routes use of the services. */
export type SecondStepServices = Pick<RouteServices, 'clients' | 'limit' | 'mfa'> & StartSignInServices;

/**
 * The second step of a sign-in (an account with an authenticator app): a code from the app, or a recovery code, after
 * the password. The step lives behind a cookie of its own for SECOND_STEP_TTL; any instance finishes what another
 * began. Wrong codes count on the account's throttle, as wrong passwords do.
 */
export async function secondStepRoutes(app: FastifyInstance, services: SecondStepServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);
  const { config } = services;

  /** Where the form may finally lead: the redirect URI's origin of the authorization request the sign-in continues. */
  function formTargets(returnTo: string | undefined): string[] {
    if (returnTo === undefined) return [];
    const continued = parseAuthorizationRequest(Object.fromEntries(new URL(returnTo, 'http://service.invalid').searchParams), services.clients);
    return 'redirectUri' in continued ? [formTargetOf(continued.redirectUri)] : [];
  }

  function expired(request: FastifyRequest, reply: FastifyReply) {
    clearSecondStepCookie(reply, config);
    return sendPage(reply, 400, problemPageFor(request, 'second_step.expired_title', 'second_step.expired_text'));
  }

  async function show(request: FastifyRequest, reply: FastifyReply, status: number, method: 'totp' | 'recovery', message?: string) {
    const secret = secondStepSecretOf(request, config);
    const step = await services.mfa.pendingStep(secret);
    if (!step || secret === undefined) return expired(request, reply);
    const view = { text: pageText(request), csrf: csrfToken(secret), method, formTargets: formTargets(step.returnTo) };
    return sendPage(reply, status, secondStepPage(message === undefined ? view : { ...view, message }));
  }

  app.get(
    SECOND_STEP_PATH,
    {
      schema: {
        summary: 'Second step page',
        description: 'Asks for a code from the authenticator app (or, with method=recovery, a recovery code) after the password.',
        tags: ['sign-in'],
        security: PUBLIC,
        querystring: { type: 'object', properties: { method: { type: 'string', enum: ['totp', 'recovery'] } } },
        response: { 200: HTML_RESPONSE('The code form.'), 400: HTML_RESPONSE('No second step is waiting (expired, or done).') },
      },
    },
    async (request: FastifyRequest<{ Querystring: { method?: 'totp' | 'recovery' } }>, reply) => {
      await services.limit('otherIp', request);
      return show(request, reply, 200, request.query.method ?? 'totp');
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
      if (!outcome.ok) {
        if (outcome.reason === 'expired') return expired(request, reply);
        return show(request, reply, 401, method, pageText(request).text('second_step.wrong'));
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
    },
  );
}
