import type { FastifyInstance } from 'fastify';
import { adminActor } from '../http/admin-auth.js';
import { SESSION_VIEW_SCHEMA } from '../../sessions/session-view.js';
import type { AdminRouteServices } from './schemas.js';
import { PASSWORD_MAX_BYTES, USERNAME_MAX_LENGTH } from '../../users/credentials.js';
import { ADMIN_SECURITY, adminErrors, NO_CONTENT, pageQuery, pageRequest, pageResponse, pathParam } from './schemas.js';

const userSchema = {
  type: 'object',
  required: ['id', 'username', 'created_at', 'disabled', 'has_password', 'password_changed_at'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    created_at: { type: 'integer' },
    disabled: { type: 'boolean' },
    has_password: { type: 'boolean', description: 'False for a user created without a password: it cannot log in until one is set.' },
    password_changed_at: { type: ['integer', 'null'] },
  },
} as const;

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

  app.post<{ Body: { username: string; password?: string } }>(
    '/admin/users',
    {
      schema: {
        ...common,
        summary: 'Create a user',
        description:
          'Without a password the user cannot log in until one is set (PUT …/password). 409 username_taken when the name is taken in any letter case.',
        body: {
          type: 'object',
          required: ['username'],
          additionalProperties: false,
          properties: { username: { type: 'string', minLength: 1, maxLength: USERNAME_MAX_LENGTH }, password },
        },
        response: { 201: { ...userSchema, description: 'Created.' }, ...adminErrors(409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await users.create(request.body.username, request.body.password, adminActor(request))),
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
