import type { FastifyInstance, FastifyRequest } from 'fastify';
import { oauthError } from '../errors.js';
import type { Services } from '../services.js';
import { PASSWORD_MAX_BYTES, USERNAME_MAX_LENGTH } from '../users/credentials.js';
import { errorResponses, NO_STORE_HEADERS } from './schemas.js';

interface RegisterBody {
  username: string;
  password: string;
}

const registerSchema = {
  summary: 'Register a user',
  description: 'Self-registration; answers 403 when REGISTRATION=closed.',
  tags: ['account'],
  body: {
    type: 'object',
    required: ['username', 'password'],
    additionalProperties: false,
    properties: {
      username: { type: 'string', minLength: 1, maxLength: USERNAME_MAX_LENGTH, description: '3 to 254 letters, digits or . _ @ + -; NFKC-normalized, unique in any letter case.' },
      password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_BYTES, description: '8 characters to 1024 bytes.' },
    },
  },
  response: {
    201: {
      type: 'object',
      description: 'The new user.',
      required: ['id', 'username'],
      properties: { id: { type: 'string' }, username: { type: 'string' } },
    },
    ...errorResponses(400, 403, 409, 413, 415, 503),
  },
} as const;

/** The account routes: POST /account/register. */
export async function accountRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(NO_STORE_HEADERS);
  });
  app.post('/account/register', { schema: registerSchema }, async (request: FastifyRequest<{ Body: RegisterBody }>, reply) => {
    if (services.config.registration === 'closed') throw oauthError('registration_closed', 'self-registration is closed');
    const user = await services.users.register(request.body.username, request.body.password);
    return reply.code(201).send({ id: user.id, username: user.username });
  });
}
