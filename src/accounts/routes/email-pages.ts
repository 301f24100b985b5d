import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { ADDRESS_LINKS, type LinkRefusal } from '../account-mail.js';
import type { MessageKey } from '../../http/locales/en.js';
import { ServiceError } from '../../errors.js';
import { toServiceError } from '../../http/errors.js';
import { pageText, problemPageFor, registerPageHeaders, sendPage, waitText } from '../../http/page-reply.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { browserBinding, csrfMatches, csrfToken, presentedBrowserBinding } from '../../oidc/http/sign-in-cookie.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import type { RouteServices } from '../../services.js';
import { PASSWORD_MAX_BYTES } from '../../users/credentials.js';
import { EMAIL_MAX_LENGTH } from '../../users/email-address.js';
import { emailVerifiedPage, forgotPasswordPage, passwordResetPage, resetPasswordPage, resetRequestedPage, verifyEmailPage } from '../pages/email-pages.js';

/** What these routes use of the services. */
export type EmailPageServices = Pick<RouteServices, 'accounts' | 'accountMail' | 'config' | 'limit'>;

/** A link's secret: 32 random bytes, base64url (43 characters); anything longer is no link of ours. */
const tokenProperty = { type: 'string', maxLength: 64 } as const;
const tokenQuery = { type: 'object', required: ['token'], properties: { token: tokenProperty } } as const;

const REFUSALS = {
  unknown: 'link.unknown',
  account_gone: 'link.account_gone',
  address_changed: 'link.address_changed',
  address_taken: 'link.address_taken',
  password_changed: 'link.password_changed',
} as const satisfies Readonly<Record<LinkRefusal, MessageKey>>;

function refusedLink(request: FastifyRequest, reply: FastifyReply, refusal: LinkRefusal) {
  return sendPage(reply, 400, problemPageFor(request, 'link.refused_title', REFUSALS[refusal]));
}

/**
 * The pages behind the account's mails: "Forgot password?" and its reset link, and the verification link. They exist
 * only while mail leaves (MAIL_TRANSPORT is not off). A link's page shows a form first: a mail scanner that fetches
 * the link spends nothing. The secret travels in the query once, never reaches the request log (which drops queries),
 * and the pages send no Referer.
 */
export async function emailPageRoutes(app: FastifyInstance, services: EmailPageServices): Promise<void> {
  if (!services.accountMail.enabled) return;
  await registerCookies(app);
  registerPageHeaders(app);
  const { config } = services;

  function showForgot(request: FastifyRequest, reply: FastifyReply, status: number, extra: { login?: string; message?: string } = {}) {
    const csrf = csrfToken(browserBinding(request, reply, config));
    return sendPage(reply, status, forgotPasswordPage({ text: pageText(request), csrf, ...extra }));
  }

  app.get(
    '/forgot-password',
    { schema: { summary: 'Forgot password page', tags: ['sign-in'], security: PUBLIC, response: { 200: HTML_RESPONSE('The reset request form.') } } },
    async (request, reply) => {
      await services.limit('otherIp', request);
      return showForgot(request, reply, 200);
    },
  );

  app.post(
    '/forgot-password',
    {
      schema: {
        summary: 'Ask for a reset link',
        description:
          'Mails a reset link to the account named (by username or email address) when it has an address. The answer is the same page, at the same speed, whether or not such an account exists: the lookup and the mail happen after it. RATE_LIMIT_RESET_IP per IP; RATE_LIMIT_RESET_ACCOUNT per name typed and mails per account.',
        tags: ['sign-in'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: {
          type: 'object',
          required: ['login', 'csrf'],
          properties: { login: { type: 'string', maxLength: EMAIL_MAX_LENGTH + 64 }, csrf: { type: 'string', maxLength: 128 } },
        },
        response: {
          200: HTML_RESPONSE('The same answer whatever was typed.'),
          403: HTML_RESPONSE('The form did not come from this service (CSRF).'),
          429: HTML_RESPONSE('Too many requests.'),
        },
      },
    },
    async (request: FastifyRequest<{ Body: { login: string; csrf: string } }>, reply) => {
      const { login, csrf } = request.body;
      if (!csrfMatches(csrf, presentedBrowserBinding(request, config))) {
        return showForgot(request, reply, 403, { login, message: pageText(request).text('login.form_expired') });
      }
      try {
        await services.limit('resetIp', request);
        await services.limit('resetLogin', request);
      } catch (error) {
        const answer = toServiceError(error);
        if (answer.code !== 'too_many_requests') throw error;
        return showForgot(request, reply, 429, {
          login,
          message: pageText(request).text('problem.too_many_text', { wait: waitText(pageText(request), answer) }),
        });
      }
      services.accountMail.requestReset(login, requestContext(request));
      return sendPage(reply, 200, resetRequestedPage(pageText(request)));
    },
  );

  app.get(
    '/reset-password',
    {
      schema: {
        summary: 'Reset link page',
        description: 'The page a reset link opens: the new-password form, or why the link does not work. Spends nothing.',
        tags: ['sign-in'],
        security: PUBLIC,
        querystring: tokenQuery,
        response: { 200: HTML_RESPONSE('The new-password form.'), 400: HTML_RESPONSE('The link is unknown, used, expired or void.') },
      },
    },
    async (request: FastifyRequest<{ Querystring: { token: string } }>, reply) => {
      await services.limit('otherIp', request);
      const checked = await services.accountMail.check(request.query.token, 'reset_password');
      if (!checked.ok) return refusedLink(request, reply, checked.refusal);
      return sendPage(reply, 200, resetPasswordPage({ text: pageText(request), token: request.query.token, username: checked.user.username }));
    },
  );

  app.post(
    '/reset-password',
    {
      schema: {
        summary: 'Set a new password through a reset link',
        description:
          'Spends the link, sets the password, ends every session, sign-in and unredeemed code of the account, and mails the owner a notice. Does not sign in: the person signs in with the new password.',
        tags: ['sign-in'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: {
          type: 'object',
          required: ['token', 'new_password'],
          properties: { token: tokenProperty, new_password: { type: 'string', maxLength: PASSWORD_MAX_BYTES }, username: { type: 'string', maxLength: 300 } },
        },
        response: {
          200: HTML_RESPONSE('The password is set.'),
          400: HTML_RESPONSE('A password the policy refuses (the link is not spent), or a link that does not work.'),
        },
      },
    },
    async (request: FastifyRequest<{ Body: { token: string; new_password: string } }>, reply) => {
      await services.limit('otherIp', request);
      const { token, new_password: password } = request.body;
      let outcome;
      try {
        outcome = await services.accounts.resetPassword(token, password, requestContext(request));
      } catch (error) {
        if (!(error instanceof ServiceError) || error.code !== 'invalid_request') throw error;
        const checked = await services.accountMail.check(token, 'reset_password');
        if (!checked.ok) return refusedLink(request, reply, checked.refusal);
        return sendPage(reply, 400, resetPasswordPage({ text: pageText(request), token, username: checked.user.username, message: error.message }));
      }
      if (!outcome.ok) return refusedLink(request, reply, outcome.refusal);
      return sendPage(reply, 200, passwordResetPage(pageText(request)));
    },
  );

  app.get(
    '/verify-email',
    {
      schema: {
        summary: 'Verification link page',
        description:
          'The page a verification link (or an address-change link) opens: the address and a button that confirms it, or why the link does not work. Spends nothing.',
        tags: ['sign-in'],
        security: PUBLIC,
        querystring: tokenQuery,
        response: { 200: HTML_RESPONSE('The confirmation form.'), 400: HTML_RESPONSE('The link is unknown, used, expired or void.') },
      },
    },
    async (request: FastifyRequest<{ Querystring: { token: string } }>, reply) => {
      await services.limit('otherIp', request);
      const checked = await services.accountMail.check(request.query.token, ADDRESS_LINKS);
      if (!checked.ok) return refusedLink(request, reply, checked.refusal);
      const view = { text: pageText(request), token: request.query.token, address: checked.link.address, username: checked.user.username };
      return sendPage(reply, 200, verifyEmailPage(view));
    },
  );

  app.post(
    '/verify-email',
    {
      schema: {
        summary: 'Confirm an email address',
        description:
          'Spends a verification link and marks the address it was mailed to verified, if it is still the account\u2019s; or spends an address-change link and makes its address the account\u2019s (verified), telling the previous address.',
        tags: ['sign-in'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: { type: 'object', required: ['token'], properties: { token: tokenProperty } },
        response: { 200: HTML_RESPONSE('The address is verified.'), 400: HTML_RESPONSE('The link does not work.') },
      },
    },
    async (request: FastifyRequest<{ Body: { token: string } }>, reply) => {
      await services.limit('otherIp', request);
      const outcome = await services.accountMail.verify(request.body.token, requestContext(request));
      if (!outcome.ok) return refusedLink(request, reply, outcome.refusal);
      return sendPage(reply, 200, emailVerifiedPage(pageText(request), outcome.link.address));
    },
  );
}
