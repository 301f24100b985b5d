import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { toServiceError } from '../../http/errors.js';
import { pageText, problemPageFor, registerPageHeaders, sendPage, waitText } from '../../http/page-reply.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';
import { acrOf } from '../../tokens/authentication-context.js';
import { scopeList } from '../../tokens/scope.js';
import { DEVICE_PATH } from '../device-authorization-service.js';
import { setContinueCookie } from '../http/continue-cookie.js';
import { SECOND_STEP_PATH } from '../http/paths.js';
import { setSecondStepCookie } from '../http/second-step-cookie.js';
import { csrfMatches, csrfToken } from '../http/sign-in-cookie.js';
import { signedInPerson, type SignedIn, type SignInServices } from '../http/signed-in.js';
import { DEVICE_DECISION_PATH, deviceConfirmPage, deviceEntryPage } from '../pages/device-pages.js';

/** What these routes use of the services. */
export type DevicePageServices = Pick<RouteServices, 'clients' | 'consents' | 'devices' | 'limit' | 'mfa' | 'resources'> & SignInServices;

const CODE_FIELD = { type: 'string', maxLength: 64, description: 'The user code, as typed (case and hyphens ignored).' } as const;

const pageSchema = {
  summary: 'Device sign-in page',
  description:
    'Where a person enters the user code a device shows (RFC 8628 §3.3), signed in (else to the login page and back). With user_code (verification_uri_complete) the confirmation comes at once. Each code entered counts against RATE_LIMIT_USER_CODE_IP and RATE_LIMIT_USER_CODE_ACCOUNT.',
  tags: ['sign-in'],
  security: PUBLIC,
  querystring: { type: 'object', properties: { user_code: CODE_FIELD } },
  response: {
    200: HTML_RESPONSE('The code entry page, or the confirmation of the device it names.'),
    302: { description: 'To the login page (or the second step), and back.', type: 'null' },
    400: HTML_RESPONSE('The code entry page again: the code is not waiting for an answer.'),
    429: HTML_RESPONSE('Too many codes entered.'),
  },
};

const entrySchema = {
  summary: 'Enter a user code',
  description: 'The code entry form: answers with the confirmation of the device the code names, or the form again.',
  tags: ['sign-in'],
  security: PUBLIC,
  consumes: ['application/x-www-form-urlencoded'],
  body: { type: 'object', required: ['user_code', 'csrf'], properties: { user_code: CODE_FIELD, csrf: { type: 'string', maxLength: 128 } } },
  response: { ...pageSchema.response, 403: HTML_RESPONSE('The form did not come from this service (CSRF).') },
};

const decisionSchema = {
  summary: 'Allow or deny a device',
  description:
    'The confirmation form: allow (the device’s next poll gets tokens; for a third-party client the consent is remembered) or deny (it gets access_denied).',
  tags: ['sign-in'],
  security: PUBLIC,
  consumes: ['application/x-www-form-urlencoded'],
  body: {
    type: 'object',
    required: ['user_code', 'decision', 'csrf'],
    properties: { user_code: CODE_FIELD, decision: { type: 'string', enum: ['allow', 'deny'] }, csrf: { type: 'string', maxLength: 128 } },
  },
  response: {
    200: HTML_RESPONSE('The device was connected, or refused.'),
    302: pageSchema.response[302],
    400: HTML_RESPONSE('The request is no longer waiting.'),
    403: entrySchema.response[403],
    429: pageSchema.response[429],
  },
};

/** The device page's address with a code in it, as the login page and the second step lead back to it. */
function deviceAddress(userCode: string | undefined): string {
  return userCode === undefined || userCode === '' ? DEVICE_PATH : `${DEVICE_PATH}?${new URLSearchParams({ user_code: userCode })}`;
}

/** The /device pages (RFC 8628 §3.3): a signed-in person enters a device's user code and allows or denies it. */
export async function devicePageRoutes(app: FastifyInstance, services: DevicePageServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);

  /**
   * The person signed in, strongly enough for what they may approve (MFA=required, or a second factor they have);
   * otherwise the redirect that gets them there, and back to this page.
   */
  async function signedInForDevices(request: FastifyRequest, reply: FastifyReply, userCode: string | undefined): Promise<SignedIn | FastifyReply> {
    const current = await signedInPerson(request, services);
    const back = deviceAddress(userCode);
    if (current === undefined) return reply.redirect(`/login?${new URLSearchParams({ return_to: back })}`, 302);
    if (acrOf(current.signIn.amr) !== 'mfa') {
      if (await services.mfa.needsSecondStep(current.user.id)) {
        const secret = await services.mfa.beginSecondStep(current.user, { returnTo: back, authenticatedFor: undefined });
        setSecondStepCookie(reply, services.config, secret);
        return reply.redirect(SECOND_STEP_PATH, 302);
      }
      if (services.mfa.policy === 'required') {
        setContinueCookie(reply, services.config, back);
        return reply.redirect('/account', 302);
      }
    }
    request.pageUser = current.user;
    return current;
  }

  /** Counts a code entered against the guess limits (RFC 8628 §5.1): per address and per account. */
  async function countGuess(request: FastifyRequest, reply: FastifyReply, current: SignedIn, typed: string): Promise<FastifyReply | undefined> {
    try {
      await services.limit('userCodeIp', request);
      await services.limit('userCodeUser', request);
      return undefined;
    } catch (error) {
      const answer = toServiceError(error);
      if (answer.code !== 'too_many_requests') throw error;
      const text = pageText(request);
      const message = text.text('device.too_many', { wait: waitText(text, answer) });
      return sendPage(reply.headers(answer.headers), 429, deviceEntryPage({ text, csrf: csrfToken(current.secret), typed, message }));
    }
  }

  /** The confirmation of the device a typed code names, or the entry page again with why not. */
  async function confirmation(request: FastifyRequest, reply: FastifyReply, current: SignedIn, typed: string) {
    const limited = await countGuess(request, reply, current, typed);
    if (limited) return limited;
    const text = pageText(request);
    const csrf = csrfToken(current.secret);
    const context = { ...requestContext(request), user_id: current.user.id };
    const device = await services.devices.pending(typed, context);
    const client = device && services.clients.get(device.clientId);
    if (device === undefined || client === undefined) {
      return sendPage(reply, 400, deviceEntryPage({ text, csrf, typed: typed.slice(0, 32), message: text.text('device.unknown_code') }));
    }
    const resource = device.resource === undefined ? undefined : { identifier: device.resource, name: services.resources.get(device.resource)?.name };
    const view = { text, csrf, userCode: device.userCode, clientId: client.clientId, display: client.display, scopes: scopeList(device.scope), resource };
    return sendPage(reply, 200, deviceConfirmPage(view));
  }

  app.get(DEVICE_PATH, { schema: pageSchema }, async (request: FastifyRequest<{ Querystring: { user_code?: string } }>, reply) => {
    await services.limit('otherIp', request);
    const typed = request.query.user_code;
    const current = await signedInForDevices(request, reply, typed);
    if (!('user' in current)) return current;
    if (typed !== undefined && typed !== '') return confirmation(request, reply, current, typed);
    return sendPage(reply, 200, deviceEntryPage({ text: pageText(request), csrf: csrfToken(current.secret) }));
  });

  app.post(DEVICE_PATH, { schema: entrySchema }, async (request: FastifyRequest<{ Body: { user_code: string; csrf: string } }>, reply) => {
    await services.limit('otherIp', request);
    const current = await signedInForDevices(request, reply, request.body.user_code);
    if (!('user' in current)) return current;
    if (!csrfMatches(request.body.csrf, current.secret)) return sendPage(reply, 403, problemPageFor(request, 'problem.refused_title', 'problem.foreign_form'));
    return confirmation(request, reply, current, request.body.user_code);
  });

  app.post(
    DEVICE_DECISION_PATH,
    { schema: decisionSchema },
    async (request: FastifyRequest<{ Body: { user_code: string; decision: 'allow' | 'deny'; csrf: string } }>, reply) => {
      await services.limit('otherIp', request);
      const { user_code: typed, decision, csrf } = request.body;
      const current = await signedInForDevices(request, reply, typed);
      if (!('user' in current)) return current;
      if (!csrfMatches(csrf, current.secret)) return sendPage(reply, 403, problemPageFor(request, 'problem.refused_title', 'problem.foreign_form'));
      // A decision names a code too: it counts as a guess, or this form would be a way round the entry page's limits.
      const limited = await countGuess(request, reply, current, typed);
      if (limited) return limited;
      const context = { ...requestContext(request), user_id: current.user.id };
      const device = await services.devices.pending(typed, context);
      const client = device && services.clients.get(device.clientId);
      if (device === undefined || client === undefined) return sendPage(reply, 400, problemPageFor(request, 'problem.refused_title', 'device.gone'));
      const withClient = { ...context, client_id: client.clientId };
      if (decision === 'deny') {
        await services.devices.deny(device.userCode, current.user.id, withClient);
        return sendPage(reply, 200, problemPageFor(request, 'device.denied_title', 'device.denied_text'));
      }
      // The consent first: the device's poll checks it after starting its session (startUserSession).
      if (!client.firstParty) await services.consents.grant(current.user.id, client, { scope: device.scope, resource: device.resource });
      const approval = { userId: current.user.id, authTime: current.signIn.authTime, amr: [...(current.signIn.amr ?? ['pwd'])] };
      if (!(await services.devices.approve(device.userCode, approval, withClient))) {
        return sendPage(reply, 400, problemPageFor(request, 'problem.refused_title', 'device.gone'));
      }
      return sendPage(reply, 200, problemPageFor(request, 'device.approved_title', 'device.approved_text'));
    },
  );
}
