import type { FastifyInstance } from 'fastify';
import { adminActor } from '../http/admin-auth.js';
import { SESSION_VIEW_SCHEMA } from '../../sessions/session-view.js';
import type { AdminRouteServices } from './schemas.js';
import { PASSWORD_MAX_BYTES, USERNAME_MAX_LENGTH } from '../../users/credentials.js';
import { EMAIL_MAX_LENGTH } from '../../users/email-address.js';
import { ADMIN_SECURITY, adminErrors, NO_CONTENT, pageQuery, pageRequest, pageResponse, pathParam } from './schemas.js';

const userSchema = {
  type: 'object',
  required: ['id', 'username', 'created_at', 'disabled', 'has_password', 'password_changed_at', 'email', 'email_verified'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    created_at: { type: 'integer' },
    disabled: { type: 'boolean' },
    has_password: { type: 'boolean', description: 'False for a user created without a password: it cannot log in until one is set.' },
    password_changed_at: { type: ['integer', 'null'] },
    email: { type: ['string', 'null'], description: 'The email address, as written; null for none.' },
    email_verified: { type: 'boolean', description: 'Whether its owner confirmed it (or an operator vouched for it).' },
  },
} as const;

const mailSchema = {
  type: 'object',
  required: ['id', 'kind', 'to', 'state', 'attempts', 'created_at', 'updated_at', 'last_error'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', description: 'verify_email, reset_password, password_changed…' },
    to: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'sent', 'failed'] },
    attempts: { type: 'integer', description: 'Tries so far.' },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
    last_error: { type: ['string', 'null'], description: "The mail server's last refusal, if any." },
  },
} as const;

const email = { type: 'string', minLength: 1, maxLength: EMAIL_MAX_LENGTH + 64, description: 'An email address, unique in any letter case.' } as const;

const password = { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_BYTES, description: '8 characters to 1024 bytes.' } as const;
const userId = pathParam(
  'id',
  USERNAME_MAX_LENGTH,
  "The user's id, or its username (any letter case): a value shaped as a user id (a UUID) is only ever an id, as in the CLI.",
);
const common = { tags: ['admin'], security: ADMIN_SECURITY };

type PageQuery = { cursor?: string; limit?: string };

/** The admin API's users and sessions: /admin/users…, /admin/sessions/{sid}. */
export async function adminUserRoutes(app: FastifyInstance, services: AdminRouteServices): Promise<void> {
  const users = services.admin.users;

  app.get<{ Querystring: PageQuery & { query?: string } }>(
    '/admin/users',
    {
      schema: {
        ...common,
        summary: 'List users',
        description: 'Users whose username starts with `query` (compared as usernames are: NFKC, any letter case), in username order.',
        querystring: pageQuery({ query: { type: 'string', maxLength: USERNAME_MAX_LENGTH, description: 'A username prefix.' } }),
        response: { 200: pageResponse('A page of users.', userSchema), ...adminErrors() },
      },
    },
    async (request) => users.list(request.query.query ?? '', pageRequest(request.query)),
  );

  app.post<{ Body: { username: string; password?: string; email?: string } }>(
    '/admin/users',
    {
      schema: {
        ...common,
        summary: 'Create a user',
        description:
          'Without a password the user cannot log in until one is set (PUT …/password). An address given is unverified (POST …/verification-link mails a link). 409 username_taken or email_taken when the name or the address is taken in any letter case.',
        body: {
          type: 'object',
          required: ['username'],
          additionalProperties: false,
          properties: { username: { type: 'string', minLength: 1, maxLength: USERNAME_MAX_LENGTH }, password, email },
        },
        response: { 201: { ...userSchema, description: 'Created.' }, ...adminErrors(409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await users.create(request.body.username, request.body.password, adminActor(request), request.body.email)),
  );

  app.get<{ Params: { id: string } }>(
    '/admin/users/:id',
    { schema: { ...common, summary: 'Get a user', params: userId, response: { 200: { ...userSchema, description: 'The user.' }, ...adminErrors(404) } } },
    async (request) => users.get(request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: { disabled: boolean } }>(
    '/admin/users/:id',
    {
      schema: {
        ...common,
        summary: 'Disable or enable a user',
        description:
          'Disabling ends every session and sign-in of the user at once: its refresh tokens stop working and its access tokens are refused by introspection and forward-auth within a second. A disabled user gets the answer of a wrong password.',
        params: userId,
        body: { type: 'object', required: ['disabled'], additionalProperties: false, properties: { disabled: { type: 'boolean' } } },
        response: { 200: { ...userSchema, description: 'The user as it is now.' }, ...adminErrors(404, 413, 415) },
      },
    },
    async (request) => users.setDisabled(request.params.id, request.body.disabled, adminActor(request)),
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/users/:id',
    {
      schema: {
        ...common,
        summary: 'Delete a user',
        description:
          'Ends every session and sign-in, forgets its consents and removes the user. The username becomes free again; a new account of that name gets a new id and inherits nothing.',
        params: userId,
        response: { ...NO_CONTENT, ...adminErrors(404) },
      },
    },
    async (request, reply) => {
      await users.delete(request.params.id, adminActor(request));
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { id: string }; Body: { password: string } }>(
    '/admin/users/:id/password',
    {
      schema: {
        ...common,
        summary: "Set a user's password",
        description: 'The policy of registration applies. Ends every session and sign-in of the user: the owner signs in again with the new password.',
        params: userId,
        body: { type: 'object', required: ['password'], additionalProperties: false, properties: { password } },
        response: { ...NO_CONTENT, ...adminErrors(404, 413, 415) },
      },
    },
    async (request, reply) => {
      await users.setPassword(request.params.id, request.body.password, adminActor(request));
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { id: string }; Body: { email: string; verified?: boolean } }>(
    '/admin/users/:id/email',
    {
      schema: {
        ...common,
        summary: "Set a user's email address",
        description:
          'Replaces the address. It is unverified unless `verified` is true (the operator vouches for it); the same address again keeps its verification, so `{ "email": <the current one>, "verified": true }` marks it verified. 409 email_taken when another account has it.',
        params: userId,
        body: {
          type: 'object',
          required: ['email'],
          additionalProperties: false,
          properties: { email, verified: { type: 'boolean', default: false } },
        },
        response: { 200: { ...userSchema, description: 'The user.' }, ...adminErrors(404, 409, 413, 415) },
      },
    },
    async (request) => users.setEmail(request.params.id, request.body.email, request.body.verified ?? false, adminActor(request)),
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/users/:id/email',
    {
      schema: {
        ...common,
        summary: "Clear a user's email address",
        description: 'The address is freed for other accounts; the user gets no more mail.',
        params: userId,
        response: { 200: { ...userSchema, description: 'The user.' }, ...adminErrors(404) },
      },
    },
    async (request) => users.setEmail(request.params.id, undefined, false, adminActor(request)),
  );

  for (const [path, kind, summary] of [
    ['verification-link', 'verification', 'Mail a user a verification link'],
    ['reset-link', 'reset', 'Mail a user a password reset link'],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/admin/users/:id/${path}`,
      {
        schema: {
          ...common,
          summary,
          description:
            'Queues the mail (the outbox sends it; GET …/mails shows its state). 409 conflict when mail is off or the user has no address (or, for verification, a verified one); 429 past RATE_LIMIT_RESET_ACCOUNT per hour.',
          params: userId,
          response: { 202: { description: 'Queued', type: 'null' }, ...adminErrors(404, 409) },
        },
      },
      async (request, reply) => {
        await users.sendLink(request.params.id, kind, adminActor(request));
        return reply.code(202).send();
      },
    );
  }

  app.get<{ Params: { id: string } }>(
    '/admin/users/:id/mails',
    {
      schema: {
        ...common,
        summary: "A user's mails",
        description: "The user's latest mails, newest first, and their state (never their content, which may hold a link's secret). Kept 7 days.",
        params: userId,
        response: {
          200: { type: 'object', description: 'The mails.', required: ['items'], properties: { items: { type: 'array', items: mailSchema } } },
          ...adminErrors(404),
        },
      },
    },
    async (request) => users.mails(request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/admin/users/:id/factors',
    {
      schema: {
        ...common,
        summary: "A user's second factors",
        description: 'Whether an authenticator app is set (and since when), the passkeys, and how many recovery codes are left. Never a secret.',
        params: userId,
        response: {
          200: {
            type: 'object',
            description: 'The factors.',
            required: ['totp', 'passkeys', 'recovery_codes_left'],
            properties: {
              totp: { type: ['object', 'null'], required: ['created_at'], properties: { created_at: { type: 'integer' } } },
              passkeys: {
                type: 'array',
                description: 'The passkeys, oldest first.',
                items: {
                  type: 'object',
                  required: ['id', 'name', 'synced', 'created_at', 'last_used_at'],
                  properties: {
                    id: { type: 'string', description: 'The credential id, base64url.' },
                    name: { type: 'string', description: 'The name its owner gave it.' },
                    synced: { type: 'boolean', description: 'Backup eligible: a passkey that may be synced between devices.' },
                    created_at: { type: 'integer' },
                    last_used_at: { type: ['integer', 'null'], description: 'The last sign-in with it; null before the first.' },
                  },
                },
              },
              recovery_codes_left: { type: 'integer' },
            },
          },
          ...adminErrors(404),
        },
      },
    },
    async (request) => users.factors(request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/admin/users/:id/identities',
    {
      schema: {
        ...common,
        summary: "A user's linked providers",
        description: 'The upstream identities (provider and `sub`) that sign the user in, oldest first.',
        params: userId,
        response: {
          200: {
            type: 'array',
            description: 'The linked identities.',
            items: {
              type: 'object',
              required: ['provider', 'name', 'offered', 'subject', 'linked_at'],
              properties: {
                provider: { type: 'string', description: 'The provider id.' },
                name: { type: 'string', description: 'Its name; its id when it is no longer configured.' },
                offered: { type: 'boolean', description: 'Whether the provider is still configured, with the same issuer.' },
                subject: { type: 'string', description: "The provider's `sub` for the person." },
                linked_at: { type: 'integer' },
              },
            },
          },
          ...adminErrors(404),
        },
      },
    },
    async (request) => users.identities(request.params.id),
  );

  app.delete<{ Params: { id: string; provider: string } }>(
    '/admin/users/:id/identities/:provider',
    {
      schema: {
        ...common,
        summary: 'Unlink a provider from a user',
        description:
          "The provider's identity no longer signs the user in (a compromised upstream account, a person who left the provider); allowed even when it is the last way in (set a password after). The owner is told by mail.",
        params: {
          type: 'object',
          required: ['id', 'provider'],
          properties: { ...userId.properties, provider: { type: 'string', minLength: 1, maxLength: 32, description: 'The provider id.' } },
        },
        response: { ...NO_CONTENT, ...adminErrors(404) },
      },
    },
    async (request, reply) => {
      await users.unlinkIdentity(request.params.id, request.params.provider, adminActor(request));
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/users/:id/factors',
    {
      schema: {
        ...common,
        summary: "Reset a user's second factors",
        description:
          'Removes the authenticator app, every passkey and the recovery codes (a person who lost them all): the password alone signs in again. The owner is told by mail.',
        params: userId,
        response: { ...NO_CONTENT, ...adminErrors(404) },
      },
    },
    async (request, reply) => {
      await users.resetFactors(request.params.id, adminActor(request));
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { id: string; factor: string } }>(
    '/admin/users/:id/factors/:factor',
    {
      schema: {
        ...common,
        summary: "Remove one of a user's second factors",
        description:
          'Removes the authenticator app (`totp`) or one passkey (its id, as the factors list shows it), for a person who lost that device; with no factor left, the recovery codes go too. The owner is told by mail.',
        params: {
          type: 'object',
          required: ['id', 'factor'],
          properties: {
            ...userId.properties,
            factor: { type: 'string', minLength: 1, maxLength: 1400, description: '`totp`, or a passkey id.' },
          },
        },
        response: { ...NO_CONTENT, ...adminErrors(404) },
      },
    },
    async (request, reply) => {
      await users.removeFactor(request.params.id, request.params.factor, adminActor(request));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: PageQuery }>(
    '/admin/users/:id/sessions',
    {
      schema: {
        ...common,
        summary: "List a user's sessions",
        description: 'The live sessions, oldest first; never a token.',
        params: userId,
        querystring: pageQuery(),
        response: { 200: pageResponse('A page of sessions.', SESSION_VIEW_SCHEMA), ...adminErrors(404) },
      },
    },
    async (request) => users.sessions(request.params.id, pageRequest(request.query)),
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/users/:id/sessions',
    {
      schema: {
        ...common,
        summary: 'End every session of a user',
        description: 'Ends every session and sign-in of the user; its access tokens are refused within a second.',
        params: userId,
        response: {
          200: { type: 'object', description: 'How many sessions ended.', required: ['ended'], properties: { ended: { type: 'integer' } } },
          ...adminErrors(404),
        },
      },
    },
    async (request) => users.endSessions(request.params.id, adminActor(request)),
  );

  app.delete<{ Params: { sid: string } }>(
    '/admin/sessions/:sid',
    {
      schema: {
        ...common,
        summary: 'End a session',
        description: 'Ends one session, whoever it belongs to: its refresh token stops working and its access tokens are refused within a second.',
        params: pathParam('sid', 64),
        response: { ...NO_CONTENT, ...adminErrors(404) },
      },
    },
    async (request, reply) => {
      await users.endSession(request.params.sid, adminActor(request));
      return reply.code(204).send();
    },
  );
}
