import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ActingSignIn } from '../account-service.js';
import type { AuditContext } from '../../audit/audit-log.js';
import { requestContext } from '../../audit/audit-log.js';
import { ServiceError } from '../../errors.js';
import { pageText, problemPageFor, registerPageHeaders, sendPage } from '../../http/page-reply.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { clearSignInCookie, csrfMatches, csrfToken, setSignInCookie } from '../../oidc/http/sign-in-cookie.js';
import { type SignedIn, signedInPerson, signOut } from '../../oidc/http/signed-in.js';
import { accountPage, type AccountView } from '../pages/account-page.js';
import { continueTo } from '../../oidc/http/continue-cookie.js';
import { PASSWORD_MAX_BYTES } from '../../users/credentials.js';
import { EMAIL_MAX_LENGTH } from '../../users/email-address.js';
import QRCode from 'qrcode';
import { otpauthUri } from '../../mfa/totp.js';
import { enrolPage, recoveryCodesPage } from '../pages/two-step-pages.js';
import type { MessageKey } from '../../http/locales/en.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import { accountPasskeyRoutes } from './passkey-pages.js';
import { accountProviderRoutes } from '../../federation/routes/account-providers.js';
import { NO_PASSWORD } from '../../users/user-service.js';
import { formSchema, SEE_ACCOUNT, type AccountFormSchema, type AccountPageServices, type PasswordRecheckedSchema } from './account-forms.js';

/** The account page over the sign-in cookie, and its forms: end sessions, withdraw consents, change the password, sign out. */
export async function accountPageRoutes(app: FastifyInstance, services: AccountPageServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);
  const { config } = services;

  function contextOf(request: FastifyRequest, person: SignedIn) {
    return { ...requestContext(request), user_id: person.user.id };
  }

  async function showAccount(reply: FastifyReply, person: SignedIn, status = 200, message?: AccountView['message']) {
    const continueAfterEnrolment = continueTo(reply.request, config);
    const [sessions, consents, factors, linked] = await Promise.all([
      services.sessions.list(person.user.id),
      services.consents.list(person.user.id),
      services.mfa.factors(person.user.id),
      services.federation.linksOf(person.user.id),
    ]);
    const offered = services.federation.providers().filter((provider) => !linked.some((link) => link.providerId === provider.id));
    const view = {
      text: pageText(reply.request),
      username: person.user.username,
      email: person.user.email && { address: person.user.email.address, verified: person.user.email.verified },
      mailEnabled: services.accountMail.enabled,
      factors,
      passkeysEnabled: services.passkeys.enabled,
      mfaPolicy: services.mfa.policy,
      providers: { linked, offered: offered.map(({ id, name }) => ({ id, name })) },
      hasPassword: person.user.passwordHash !== NO_PASSWORD,
      // A link form's redirect goes on to the provider, which CSP form-action must allow (Chromium checks redirects too).
      formTargets: offered.length === 0 ? [] : services.federation.authorizationOrigins(),
      ...(continueAfterEnrolment === undefined ? {} : { continueTo: continueAfterEnrolment }),
      csrf: csrfToken(person.secret),
      sessions,
      consents,
      signInId: person.signIn.id,
    };
    return sendPage(reply, status, accountPage(message ? { ...view, message } : view));
  }

  /** What a refused change (a ServiceError below 500) shows, in the page's words where it has them. */
  const REFUSAL_WORDS: Partial<Record<string, MessageKey>> = { too_many_requests: 'account.too_many', email_taken: 'register.email_taken' };

  /**
   * Runs a change that re-checks the current password, limited and throttled as a login of this account is. A wrong
   * password shows the page again, or, past LOGIN_FREE_FAILURES, signs the browser out (a stolen cookie is no password
   * oracle); a refused change shows why; `done` shows what came of one that went through.
   */
  async function passwordChecked<Result extends object>(
    person: SignedIn,
    request: FastifyRequest,
    reply: FastifyReply,
    change: (acting: ActingSignIn, context: AuditContext) => Promise<Result>,
    done: (result: Exclude<Result, { signedOut: boolean }>) => FastifyReply | Promise<FastifyReply>,
  ): Promise<FastifyReply> {
    request.pageUser = person.user;
    const origin = { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' };
    let result: Result;
    try {
      await services.limit('loginIp', request);
      await services.limit('loginUser', request);
      result = await change({ secret: person.secret, signIn: person.signIn, origin }, contextOf(request, person));
    } catch (error) {
      if (!(error instanceof ServiceError) || error.status >= 500) throw error;
      const key = REFUSAL_WORDS[error.code];
      return showAccount(reply, person, error.status, { text: key === undefined ? error.message : pageText(request).text(key), problem: true });
    }
    if (!('signedOut' in result)) return done(result as Exclude<Result, { signedOut: boolean }>);
    if (result.signedOut) {
      clearSignInCookie(reply, config);
      return sendPage(reply, 400, problemPageFor(request, 'account.locked_out_title', 'account.locked_out_text'));
    }
    const words = 'signInAgain' in result && result.signInAgain ? 'account.sign_in_again' : 'account.password_wrong';
    return showAccount(reply, person, 400, { text: pageText(request).text(words), problem: true });
  }

  /** Registers one of the page's forms: signed in (else to the login page), its CSRF token checked, then `act`. */
  function form<Body extends { csrf: string }>(
    url: string,
    schema: AccountFormSchema,
    act: (person: SignedIn, body: Body, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
  ) {
    app.post(url, { schema }, async (request, reply) => {
      await services.limit('otherIp', request);
      const person = await signedInPerson(request, services);
      const body = request.body as Body;
      if (!person) return reply.redirect('/login', 303);
      if (!csrfMatches(body.csrf, person.secret)) return sendPage(reply, 403, problemPageFor(request, 'problem.refused_title', 'problem.foreign_form'));
      return act(person, body, request, reply);
    });
  }

  app.get(
    '/account',
    { schema: { summary: 'Account page', tags: ['sign-in'], security: PUBLIC, response: { 200: HTML_RESPONSE('The account page.'), 303: SEE_ACCOUNT } } },
    async (request, reply) => {
      await services.limit('otherIp', request);
      const person = await signedInPerson(request, services);
      return person ? showAccount(reply, person) : reply.redirect('/login', 303);
    },
  );

  form<{ csrf: string; sid: string }>(
    '/account/end-session',
    formSchema('End one session', { sid: { type: 'string', maxLength: 64 } }),
    async (person, body, request, reply) => {
      await services.accounts.endOwnSession(person.user.id, body.sid, contextOf(request, person));
      return reply.redirect('/account', 303);
    },
  );

  form('/account/end-other-sessions', formSchema('End all other sessions', {}), async (person, _body, request, reply) => {
    await services.accounts.endEverything(person.user.id, 'other_sessions', contextOf(request, person), { secret: person.secret, id: person.signIn.id });
    return reply.redirect('/account', 303);
  });

  form<{ csrf: string; client_id: string }>(
    '/account/withdraw-consent',
    {
      ...formSchema('Withdraw a consent', { client_id: { type: 'string', maxLength: 255 } }),
      description: "Forgets the consent and ends the application's sessions of this person.",
    },
    async (person, body, request, reply) => {
      await services.accounts.withdrawConsent(person.user.id, body.client_id, contextOf(request, person));
      return reply.redirect('/account', 303);
    },
  );

  form<{ csrf: string; current_password: string; new_password: string }>(
    '/account/change-password',
    formSchema('Change the password', {
      current_password: { type: 'string', maxLength: PASSWORD_MAX_BYTES },
      new_password: { type: 'string', maxLength: PASSWORD_MAX_BYTES },
    }),
    async (person, body, request, reply) =>
      passwordChecked(
        person,
        request,
        reply,
        (acting, context) => services.accounts.changePasswordAtPages(person.user, body.current_password, body.new_password, acting, context),
        ({ renewed }) => {
          setSignInCookie(reply, config, renewed.secret, services.signIns.cookieMaxAge);
          const changed = { text: pageText(request).text('account.password_changed'), problem: false };
          return showAccount(reply, { ...person, ...renewed }, 200, changed);
        },
      ),
  );

  form(
    '/account/send-verification',
    {
      ...formSchema('Send a confirmation link', {}),
      description: "Mails a confirmation link to the account's unverified address (RATE_LIMIT_RESET_ACCOUNT per hour).",
      response: { ...formSchema('', {}).response, 200: HTML_RESPONSE('The account page, saying the link is on its way.') },
    },
    async (person, _body, _request, reply) => {
      await services.accountMail.sendVerification(person.user);
      return showAccount(reply, person, 200, { text: pageText(reply.request).text('account.verification_sent'), problem: false });
    },
  );

  form<{ csrf: string; new_email: string; current_password: string }>(
    '/account/change-email',
    {
      ...formSchema('Change the email address', {
        new_email: { type: 'string', maxLength: EMAIL_MAX_LENGTH + 64 },
        current_password: { type: 'string', maxLength: PASSWORD_MAX_BYTES },
      }),
      description:
        'Checks the current password (limited and throttled as a login), then mails a link to the new address; the account keeps its address until the link is followed, and the old address is told then.',
      response: {
        ...formSchema('', {}).response,
        200: HTML_RESPONSE('The account page, saying the link is on its way.'),
        409: HTML_RESPONSE('The address belongs to another account.'),
        429: HTML_RESPONSE('Too many attempts.'),
      },
    },
    async (person, body, request, reply) =>
      passwordChecked(
        person,
        request,
        reply,
        (acting, context) => services.accounts.requestEmailChange(person.user, body.current_password, body.new_email, acting, context),
        (asked) => showAccount(reply, person, 200, { text: pageText(request).text('account.change_email_sent', { address: asked.address }), problem: false }),
      ),
  );

  const pageAnswer = (what: string) => ({ ...formSchema('', {}).response, 200: HTML_RESPONSE(what), 429: HTML_RESPONSE('Too many attempts.') });

  /**
   * Registers a form that re-asks the current password (AccountService.recheckPassword: an account without one, a
   * recent sign-in), with fields of its own beside it, then does `act`.
   */
  function passwordRecheckedForm<Fields extends Record<string, string> = Record<never, string>>(
    url: string,
    schema: PasswordRecheckedSchema,
    act: (person: SignedIn, body: Fields, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
  ) {
    const fields = { ...schema.fields, current_password: { type: 'string', maxLength: PASSWORD_MAX_BYTES } } as const;
    form<Fields & { csrf: string; current_password: string }>(
      url,
      { ...formSchema(schema.summary, fields), description: schema.description, response: { ...pageAnswer(schema.answer), ...schema.response } },
      async (person, body, request, reply) =>
        passwordChecked(
          person,
          request,
          reply,
          (acting, context) => services.accounts.recheckPassword(person.user, body.current_password, acting, context),
          () => act(person, body, request, reply),
        ),
    );
  }

  /** The setup page of an authenticator app: its QR code and key, and the confirming code. */
  async function showEnrolment(reply: FastifyReply, person: SignedIn, secret: string, uri: string, status = 200, message?: string) {
    const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    const view = { text: pageText(reply.request), csrf: csrfToken(person.secret), qrSvg, secret };
    return sendPage(reply, status, enrolPage(message === undefined ? view : { ...view, message }));
  }

  passwordRecheckedForm(
    '/account/two-step/setup',
    {
      summary: 'Set up an authenticator app',
      description: 'Checks the current password, then shows a new key as a QR code and as text, to confirm with a code from the app within 10 minutes.',
      answer: 'The setup page: the QR code, the key, the code field.',
    },
    async (person, _body, _request, reply) => {
      const { secret, uri } = await services.mfa.beginEnrolment(person.user);
      return showEnrolment(reply, person, secret, uri);
    },
  );

  form<{ csrf: string; code: string }>(
    '/account/two-step/confirm',
    {
      ...formSchema('Confirm an authenticator app', { code: { type: 'string', maxLength: 16 } }),
      description:
        'Checks the code against the key being set up (throttled as a password); the app becomes the second factor, every other sign-in and session of the account ends, and ten recovery codes are shown, once.',
      response: { ...pageAnswer('The recovery codes, shown once.'), 401: HTML_RESPONSE('A wrong code: the setup page again.') },
    },
    async (person, body, request, reply) => {
      request.pageUser = person.user;
      const text = pageText(request);
      const context = contextOf(request, person);
      let confirmed;
      try {
        await services.limit('loginIp', request);
        confirmed = await services.mfa.confirmEnrolment(person.user, body.code, context);
      } catch (error) {
        if (!(error instanceof ServiceError) || error.code !== 'too_many_requests') throw error;
        return showAccount(reply, person, 429, { text: text.text('account.too_many'), problem: true });
      }
      if (!confirmed) {
        const secret = await services.mfa.pendingEnrolment(person.user);
        if (secret === undefined) return showAccount(reply, person, 400, { text: text.text('enrol.expired'), problem: true });
        return showEnrolment(reply, person, secret, otpauthUriOf(person, secret), 401, text.text('enrol.wrong'));
      }
      // A new factor applies to every browser: one signed in before with the password alone is signed out.
      await services.accounts.endEverything(person.user.id, 'second_factor_added', context, { secret: person.secret, id: person.signIn.id });
      return sendPage(reply, 200, recoveryCodesPage(text, confirmed.recoveryCodes, false));
    },
  );

  passwordRecheckedForm(
    '/account/two-step/recovery-codes',
    {
      summary: 'Make new recovery codes',
      description: 'Checks the current password; ten new recovery codes replace the old, shown once.',
      answer: 'The new recovery codes, shown once.',
    },
    async (person, _body, request, reply) => {
      const codes = await services.mfa.regenerateRecoveryCodes(person.user, contextOf(request, person));
      if (!codes) return reply.redirect('/account', 303);
      return sendPage(reply, 200, recoveryCodesPage(pageText(request), codes, true));
    },
  );

  passwordRecheckedForm(
    '/account/two-step/remove',
    {
      summary: 'Remove the authenticator app',
      description: 'Checks the current password; removes the authenticator app (and the recovery codes when no passkey is left), and tells the owner by mail.',
      answer: 'The account page, saying the app is removed.',
    },
    async (person, _body, request, reply) => {
      await services.mfa.removeApp(person.user, contextOf(request, person));
      return showAccount(reply, person, 200, { text: pageText(request).text('account.two_step_removed'), problem: false });
    },
  );

  const kit = { form, passwordChecked, passwordRecheckedForm, showAccount, contextOf };
  accountPasskeyRoutes(app, services, kit);
  accountProviderRoutes(services, kit);

  /** The otpauth URI of a key being set up, for drawing its QR code again. */
  function otpauthUriOf(person: SignedIn, secret: string): string {
    return otpauthUri(config.pages.productName ?? new URL(config.issuer).host, person.user.username, secret);
  }

  form(
    '/logout',
    { ...formSchema('Sign out', {}), description: 'Ends the sign-in and the token sessions it started.' },
    async (_person, _body, request, reply) => {
      await signOut(request, reply, services);
      return reply.redirect('/login', 303);
    },
  );
}
