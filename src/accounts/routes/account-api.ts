import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SESSION_VIEW_SCHEMA, sessionView } from '../../sessions/session-view.js';
import { requestContext } from '../../audit/audit-log.js';
import { oauthError } from '../../errors.js';
import { authenticateUser, type BearerServices, type Caller, challenge, insufficientScope } from '../../http/bearer.js';
import { BROWSER_API } from '../../http/cors.js';
import { clearRefreshCookie, registerCookies } from '../../http/refresh-cookie.js';
import type { RouteServices } from '../../services.js';
import type { SessionRecord } from '../../store/types.js';
import { PASSWORD_MAX_BYTES, USERNAME_MAX_LENGTH } from '../../users/credentials.js';
import { profileOf } from '../../users/user-service.js';
import { EMAIL_MAX_LENGTH, registrationEmail } from '../../users/email-address.js';
import { errorResponses, noStore, PUBLIC } from '../../routes/schemas.js';

/** What these routes use of the services. */
export type AccountApiServices = Pick<RouteServices, 'accounts' | 'clients' | 'config' | 'limit' | 'sessions'> & BearerServices;

interface RegisterBody {
  username: string;
  password: string;
  email?: string;
}

interface PasswordBody {
  current_password: string;
  new_password: string;
}

const passwordProperty = { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_BYTES } as const;
const authErrors = errorResponses(400, 401, 503);
const bearer = [{ bearerAuth: [] }];

const registerSchema = {
  summary: 'Register a user',
  security: PUBLIC,
  description:
    'Self-registration; answers 403 when REGISTRATION=closed, 409 username_taken or email_taken when another account has the name or the address. The same username and password again within 10 minutes (the retry of a 503) answer 201 with the same user.',
  tags: ['account'],
  body: {
    type: 'object',
    required: ['username', 'password'],
    additionalProperties: false,
    properties: {
      username: {
        type: 'string',
        minLength: 1,
        maxLength: USERNAME_MAX_LENGTH,
        description: '3 to 254 letters, digits or . _ @ + -; NFKC-normalized, unique in any letter case.',
      },
      password: { ...passwordProperty, description: '8 characters to 1024 bytes.' },
      email: {
        type: 'string',
        maxLength: EMAIL_MAX_LENGTH + 64,
        description:
          'An email address, unique in any letter case: optional, required or refused as REGISTRATION_EMAIL says. A confirmation link is mailed to it.',
      },
    },
  },
  response: {
    201: {
      type: 'object',
      description: 'The new user.',
      required: ['id', 'username'],
      properties: { id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, email_verified: { type: 'boolean' } },
    },
    ...errorResponses(400, 403, 409, 413, 415, 503),
  },
};

const profileSchema = {
  summary: "The caller's profile",
  description:
    'The user the bearer access token speaks for. Like every account route, it takes only the access tokens of first-party clients (401 invalid_token for another), and it needs the profile scope (403 insufficient_scope).',
  tags: ['account'],
  security: bearer,
  response: {
    200: {
      type: 'object',
      description: 'The profile.',
      required: ['id', 'username', 'created_at'],
      properties: { id: { type: 'string' }, username: { type: 'string' }, created_at: { type: 'integer' } },
    },
    ...errorResponses(400, 401, 403, 503),
  },
};

const sessionSchema = {
  type: 'object',
  required: [...SESSION_VIEW_SCHEMA.required, 'current'],
  properties: {
    ...SESSION_VIEW_SCHEMA.properties,
    current: { type: 'boolean', description: 'Whether this is the session of the calling access token.' },
  },
} as const;

const sessionsSchema = {
  summary: "The caller's sessions",
  description: 'Every live session of the user, oldest first. Never includes a token.',
  tags: ['account'],
  security: bearer,
  response: {
    200: { type: 'object', description: 'The sessions.', required: ['sessions'], properties: { sessions: { type: 'array', items: sessionSchema } } },
    ...authErrors,
  },
};

const endSessionSchema = {
  summary: "End one of the caller's sessions",
  description: 'Ends the session: its refresh token stops working and its access tokens are refused by this service.',
  tags: ['account'],
  security: bearer,
  params: { type: 'object', required: ['sid'], properties: { sid: { type: 'string', maxLength: 64 } } },
  response: { 204: { description: 'Ended', type: 'null' }, ...errorResponses(400, 401, 404, 503) },
};

const logoutSchema = {
  summary: 'Log out',
  description: 'Ends the session of the calling access token; for cookie clients it also clears the refresh token cookie.',
  tags: ['account'],
  security: bearer,
  response: { 204: { description: 'Logged out', type: 'null' }, ...authErrors },
};

const logoutAllSchema = {
  summary: 'Log out everywhere',
  description: 'Ends every session of the user, this one included, and signs every browser out of the service (its sign-ins).',
  tags: ['account'],
  security: bearer,
  response: {
    200: { type: 'object', description: 'How many sessions ended.', required: ['ended'], properties: { ended: { type: 'integer' } } },
    ...authErrors,
  },
};

const passwordSchema = {
  summary: 'Change the password',
  description:
    'Checks the current password, sets the new one, ends every other session of the user and signs every browser out of the service. Limited and throttled as a login of the account is (429 with Retry-After); after LOGIN_FREE_FAILURES wrong current passwords the calling session ends. The same request again within 10 minutes of the change (the retry of a 503) answers 204.',
  tags: ['account'],
  security: bearer,
  body: {
    type: 'object',
    required: ['current_password', 'new_password'],
    additionalProperties: false,
    properties: { current_password: passwordProperty, new_password: { ...passwordProperty, description: '8 characters to 1024 bytes.' } },
  },
  response: { 204: { description: 'Changed', type: 'null' }, ...errorResponses(400, 401, 413, 415, 429, 503) },
};

function accountSessionView(session: SessionRecord, currentSid: string) {
  return { ...sessionView(session), current: session.sid === currentSid };
}

/**
 * The account API answers the user's own apps only: it shows every session (with IP addresses and devices), ends them
 * and changes the password. A token that a third-party client holds, whatever the person allowed it, is not meant for
 * it (RFC 9068 §4: a token not meant for this resource is invalid_token, RFC 6750 §3.1).
 */
function assertAccountClient(claims: Caller['claims'], services: AccountApiServices): void {
  if (services.clients.get(claims.client_id)?.firstParty !== true) {
    throw oauthError(
      'invalid_token',
      "the account API takes only the access tokens of the service's own (first-party) applications",
      challenge('invalid_token'),
    );
  }
}

/** Routes of a signed-in user, behind a bearer access token (RFC 6750) of a first-party client. */
async function authenticatedRoutes(app: FastifyInstance, services: AccountApiServices): Promise<void> {
  app.addHook('preHandler', async (request) => {
    const caller = await authenticateUser(request, services);
    assertAccountClient(caller.claims, services);
    request.caller = caller;
  });
  const caller = (request: FastifyRequest) => request.caller!;

  // The profile is what /userinfo answers with the profile scope, so it needs that scope as /userinfo does.
  app.get('/account/me', { schema: profileSchema, config: BROWSER_API }, async (request) => {
    if (!caller(request).scopes.includes('profile')) throw insufficientScope('profile');
    return profileOf(caller(request).user);
  });

  app.get('/account/sessions', { schema: sessionsSchema, config: BROWSER_API }, async (request) => {
    const { user, claims } = caller(request);
    return { sessions: (await services.sessions.list(user.id)).map((session) => accountSessionView(session, claims.sid)) };
  });

  app.delete(
    '/account/sessions/:sid',
    { schema: endSessionSchema, config: BROWSER_API },
    async (request: FastifyRequest<{ Params: { sid: string } }>, reply) => {
      // Another user's session is answered exactly like one that does not exist.
      const { user } = caller(request);
      if (!(await services.accounts.endOwnSession(user.id, request.params.sid, requestContext(request)))) throw oauthError('not_found', 'no such session');
      return reply.code(204).send();
    },
  );

  app.post('/account/logout', { schema: logoutSchema, config: BROWSER_API }, async (request, reply) => {
    const { claims, user } = caller(request);
    const ended = await services.accounts.logOut(user.id, claims.sid, claims.client_id, requestContext(request));
    const client = ended && services.clients.get(ended.clientId);
    if (client?.refreshTokenDelivery === 'cookie') clearRefreshCookie(reply, services.config);
    return reply.code(204).send();
  });

  app.post('/account/logout-all', { schema: logoutAllSchema, config: BROWSER_API }, async (request) => {
    const { user } = caller(request);
    return { ended: await services.accounts.endEverything(user.id, 'logout_all', requestContext(request)) };
  });

  app.post('/account/password', { schema: passwordSchema, config: BROWSER_API }, async (request: FastifyRequest<{ Body: PasswordBody }>, reply) => {
    const { user, claims } = caller(request);
    // A check of the password, limited as a login of this account is (the same buckets and throttle).
    await services.limit('loginIp', request);
    await services.limit('loginUser', request);
    const context = { ...requestContext(request), user_id: user.id, client_id: claims.client_id, sid: claims.sid };
    const change = await services.accounts.changePasswordInSession(user, request.body.current_password, request.body.new_password, claims.sid, context);
    if (!change.changed)
      throw oauthError('invalid_grant', change.sessionEnded ? 'the current password is wrong; this session has ended' : 'the current password is wrong');
    return reply.code(204).send();
  });
}

/** The account routes: registration, and the signed-in user's profile, sessions, logout and password. */
export async function accountRoutes(app: FastifyInstance, services: AccountApiServices): Promise<void> {
  await registerCookies(app);
  app.addHook('onSend', noStore);
  app.post('/account/register', { schema: registerSchema, config: BROWSER_API }, async (request: FastifyRequest<{ Body: RegisterBody }>, reply) => {
    if (services.config.registration === 'closed') throw oauthError('registration_closed', 'self-registration is closed');
    await services.limit('registerIp', request);
    await services.limit('registerUser', request);
    const email = registrationEmail(request.body.email, services.config.email.registration);
    const { user } = await services.accounts.register(request.body.username, request.body.password, requestContext(request), email);
    const address = user.email === undefined ? {} : { email: user.email.address, email_verified: user.email.verified };
    return reply.code(201).send({ id: user.id, username: user.username, ...address });
  });
  await app.register(authenticatedRoutes, services);
}
