import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import { toServiceError } from '../../http/errors.js';
import { pageText, registerPageHeaders, sendPage, waitText } from '../../http/page-reply.js';
import type { PageText } from '../../http/page-text.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { browserBinding, csrfMatches, csrfToken, presentedBrowserBinding } from '../http/sign-in-cookie.js';
import { checkMailPage, loginPage, registrationPage } from '../pages/sign-in-pages.js';
import { problemPage } from '../../http/page-layout.js';
import type { UserRecord } from '../../store/types.js';
import type { RouteServices } from '../../services.js';
import { PASSWORD_MAX_BYTES, USERNAME_MAX_LENGTH } from '../../users/credentials.js';
import { EMAIL_MAX_LENGTH, registrationEmail } from '../../users/email-address.js';
import { authorizationRequestOf, formTargets, safeReturnTo } from '../http/return-to.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import { startSignIn, type SignInServices } from '../http/signed-in.js';
import { setSecondStepCookie } from '../http/second-step-cookie.js';
import { SECOND_STEP_PATH } from '../http/paths.js';
import { AMR_PASSWORD } from '../../tokens/authentication-context.js';
import { passkeySignInRoutes } from './passkey-sign-in.js';

/** What these routes use of the services. */
export type SignInPageServices = Pick<
  RouteServices,
  'accounts' | 'accountMail' | 'clients' | 'config' | 'federation' | 'limit' | 'mfa' | 'passkeys' | 'resources' | 'signIns' | 'users'
> &
  SignInServices;

const loginQuerySchema = {
  type: 'object',
  properties: { return_to: { type: 'string', maxLength: 8192, description: 'The authorization request to continue after signing in.' } },
} as const;

const loginBodySchema = {
  type: 'object',
  required: ['username', 'password', 'csrf'],
  properties: {
    username: { type: 'string', maxLength: USERNAME_MAX_LENGTH },
    password: { type: 'string', maxLength: PASSWORD_MAX_BYTES },
    csrf: { type: 'string', maxLength: 128 },
    return_to: loginQuerySchema.properties.return_to,
  },
} as const;

const registrationBodySchema = {
  ...loginBodySchema,
  properties: {
    ...loginBodySchema.properties,
    email: { type: 'string', maxLength: EMAIL_MAX_LENGTH + 64, description: 'The email address (REGISTRATION_EMAIL: optional, required or off).' },
  },
} as const;

/** What a failed sign-in shows: the wait of a rate limit, an outage, or nothing special (rethrown). */
function failureOf(error: unknown, text: PageText): { status: number; message: string } {
  const answer = toServiceError(error);
  if (answer.code === 'too_many_requests') return { status: 429, message: text.text('login.too_many', { wait: waitText(text, answer) }) };
  if (answer.code === 'temporarily_unavailable') return { status: 503, message: text.text('problem.unavailable_text') };
  throw error;
}

/** The hosted login and registration pages, the passkey sign-in among them. */
export async function signInRoutes(app: FastifyInstance, services: SignInPageServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);
  const { config } = services;

  function showLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    returnTo: string | undefined,
    extra: { username?: string; message?: string } = {},
  ) {
    const csrf = csrfToken(browserBinding(request, reply, config));
    const registration = config.registration === 'open';
    const passwordReset = services.accountMail.enabled;
    return sendPage(
      reply,
      status,
      loginPage({
        text: pageText(request),
        csrf,
        returnTo,
        registration,
        passwordReset,
        passkeys: services.passkeys.enabled,
        providers: services.federation.providers().map(({ id, name, icon }) => ({ id, name, icon })),
        formTargets: formTargets(returnTo, services),
        ...extra,
      }),
    );
  }

  function showRegistration(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    returnTo: string | undefined,
    extra: { username?: string; message?: string; emailValue?: string } = {},
  ) {
    const text = pageText(request);
    if (config.registration === 'closed')
      return sendPage(reply, 403, problemPage(text.text('register.closed_title'), text.text('register.closed_text'), text.lang));
    const csrf = csrfToken(browserBinding(request, reply, config));
    const { emailValue, ...shown } = extra;
    const email = { ask: config.email.registration, ...(emailValue === undefined ? {} : { value: emailValue }) };
    return sendPage(reply, status, registrationPage({ text, csrf, returnTo, email, formTargets: formTargets(returnTo, services), ...shown }));
  }

  app.get(
    '/login',
    {
      schema: {
        summary: 'Login page',
        description: 'The hosted login page.',
        tags: ['sign-in'],
        security: PUBLIC,
        querystring: loginQuerySchema,
        response: { 200: HTML_RESPONSE('The login form.') },
      },
    },
    async (request: FastifyRequest<{ Querystring: { return_to?: string } }>, reply) => {
      await services.limit('otherIp', request);
      return showLogin(request, reply, 200, safeReturnTo(request.query.return_to));
    },
  );

  app.post(
    '/login',
    {
      schema: {
        summary: 'Sign in',
        description: 'The login form: starts a sign-in (the __Host- cookie) and continues the authorization request, or shows the account page.',
        tags: ['sign-in'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: loginBodySchema,
        response: {
          303: { description: 'Signed in: on to the authorization request or the account page.', type: 'null' },
          401: HTML_RESPONSE('Wrong username or password.'),
          403: HTML_RESPONSE('The form did not come from this service (CSRF), or the address must be confirmed first (SIGN_IN_REQUIRES_VERIFIED_EMAIL).'),
          429: HTML_RESPONSE('Too many attempts.'),
          503: HTML_RESPONSE('The service is unavailable.'),
        },
      },
    },
    async (request: FastifyRequest<{ Body: { username: string; password: string; csrf: string; return_to?: string } }>, reply) => {
      const { username, password, csrf } = request.body;
      const returnTo = safeReturnTo(request.body.return_to);
      // Login CSRF: the form must come from this browser's own page (RFC 6749 §10.12).
      if (!csrfMatches(csrf, presentedBrowserBinding(request, config))) {
        return showLogin(request, reply, 403, returnTo, { username, message: pageText(request).text('login.form_expired') });
      }
      let user;
      try {
        await services.limit('loginIp', request);
        await services.limit('loginUser', request);
        user = await services.accounts.authenticate(username, password, requestContext(request), 'login_page');
      } catch (error) {
        const failure = failureOf(error, pageText(request));
        return showLogin(request, reply, failure.status, returnTo, { username, message: failure.message });
      }
      if (!user) return showLogin(request, reply, 401, returnTo, { username, message: pageText(request).text('login.wrong_credentials') });
      if (await services.accounts.mustVerifyEmail(user, 'login_page', requestContext(request))) {
        return showLogin(request, reply, 403, returnTo, { username, message: pageText(request).text('login.verify_first') });
      }
      return signedIn(request, reply, user, returnTo, 'login_page');
    },
  );

  passkeySignInRoutes(app, services, showLogin);

  app.get(
    '/register',
    {
      schema: {
        summary: 'Registration page',
        description: 'Creates an account and signs it in, when REGISTRATION=open.',
        tags: ['sign-in'],
        security: PUBLIC,
        querystring: loginQuerySchema,
        response: { 200: HTML_RESPONSE('The registration form.'), 403: HTML_RESPONSE('Registration is closed.') },
      },
    },
    async (request: FastifyRequest<{ Querystring: { return_to?: string } }>, reply) => {
      await services.limit('otherIp', request);
      return showRegistration(request, reply, 200, safeReturnTo(request.query.return_to));
    },
  );

  app.post(
    '/register',
    {
      schema: {
        summary: 'Register',
        description: 'The registration form: creates the account, signs it in and continues as a sign-in does.',
        tags: ['sign-in'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: registrationBodySchema,
        response: {
          200: HTML_RESPONSE('Registered; with SIGN_IN_REQUIRES_VERIFIED_EMAIL, asked to confirm the address before signing in.'),
          303: { description: 'Registered and signed in.', type: 'null' },
          400: HTML_RESPONSE('A name, address or password the service does not take.'),
          403: HTML_RESPONSE('Registration is closed, or the form did not come from this service (CSRF).'),
          409: HTML_RESPONSE('The username or the email address is taken.'),
          429: HTML_RESPONSE('Too many attempts.'),
        },
      },
    },
    async (request: FastifyRequest<{ Body: { username: string; password: string; csrf: string; return_to?: string; email?: string } }>, reply) => {
      const { username, password, csrf } = request.body;
      const returnTo = safeReturnTo(request.body.return_to);
      const typed = { username, ...(request.body.email === undefined ? {} : { emailValue: request.body.email }) };
      if (!csrfMatches(csrf, presentedBrowserBinding(request, config))) {
        return showRegistration(request, reply, 403, returnTo, { ...typed, message: pageText(request).text('register.form_expired') });
      }
      if (config.registration === 'closed') return showRegistration(request, reply, 403, returnTo);
      let registered;
      try {
        await services.limit('registerIp', request);
        await services.limit('registerUser', request);
        const email = registrationEmail(request.body.email, config.email.registration);
        registered = await services.accounts.register(username, password, requestContext(request), email);
      } catch (error) {
        const answer = toServiceError(error);
        if (answer.status >= 500 || answer.code === 'too_many_requests') {
          const failure = failureOf(error, pageText(request));
          return showRegistration(request, reply, failure.status, returnTo, { ...typed, message: failure.message });
        }
        const known = { username_taken: 'register.username_taken', email_taken: 'register.email_taken' } as const;
        const key = known[answer.code as keyof typeof known];
        const message = key === undefined ? answer.message : pageText(request).text(key);
        return showRegistration(request, reply, answer.status, returnTo, { ...typed, message });
      }
      if (await services.accounts.mustVerifyEmail(registered.user, 'registration_page', requestContext(request))) {
        return sendPage(reply, 200, checkMailPage(pageText(request), registered.user.email?.address ?? ''));
      }
      return signedIn(request, reply, registered.user, returnTo, 'registration_page');
    },
  );

  /** Starts the sign-in of a person who proved their password, or its second step when the account has a second factor. */
  async function signedIn(
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRecord,
    returnTo: string | undefined,
    via: 'login_page' | 'registration_page',
  ) {
    const authenticatedFor = authorizationRequestOf(returnTo, services);
    if (via === 'login_page' && (await services.mfa.needsSecondStep(user.id))) {
      setSecondStepCookie(reply, config, await services.mfa.beginSecondStep(user, { returnTo, authenticatedFor }));
      return reply.redirect(SECOND_STEP_PATH, 303);
    }
    return startSignIn(request, reply, services, user, { via, returnTo, authenticatedFor, amr: AMR_PASSWORD });
  }
}
