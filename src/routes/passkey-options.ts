import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toServiceError } from '../http/errors.js';
import { errorResponses, NO_STORE_HEADERS, PUBLIC } from './schemas.js';

/** The response schemas of an endpoint that hands out WebAuthn options: the options, or an error body whose description a person reads. */
function passkeyOptionsResponses(ceremony: string) {
  return {
    200: {
      description: `The options for ${ceremony} (WebAuthn Level 3 JSON: challenge, rpId, …), for the passkey script.`,
      type: 'object',
      additionalProperties: true,
    },
    ...errorResponses(400, 403, 404, 429, 503),
  } as const;
}

/** What the passkey script sends for a challenge: the form's CSRF token, and the form's own fields. */
type OptionsBody = { csrf: string } & Record<string, string>;

/** An endpoint that hands the passkey script a challenge: its path, its words, and the form fields it takes beside the CSRF token. */
export interface PasskeyOptionsRoute {
  url: string;
  summary: string;
  description: string;
  /** What the options are for, as the 200 answer names it. */
  ceremony: string;
  fields?: Record<string, { type: 'string'; maxLength: number }>;
}

/**
 * Registers a POST (JSON) endpoint that answers WebAuthn options for the passkey script: `answer` sends them (with
 * sendPasskeyOptions) or a refusal (sendPasskeyRefusal); a refusal it throws (a rate limit, an outage) is answered
 * in the API's error shape too, never as a page, since a script reads it.
 */
export function passkeyOptionsRoute<Body extends OptionsBody>(
  app: FastifyInstance,
  route: PasskeyOptionsRoute,
  answer: (request: FastifyRequest<{ Body: Body }>, reply: FastifyReply) => Promise<FastifyReply>,
): void {
  const fields = route.fields ?? {};
  app.post<{ Body: Body }>(
    route.url,
    {
      schema: {
        summary: route.summary,
        description: route.description,
        tags: ['sign-in'],
        security: PUBLIC,
        body: { type: 'object', required: ['csrf', ...Object.keys(fields)], properties: { csrf: { type: 'string', maxLength: 128 }, ...fields } },
        response: passkeyOptionsResponses(route.ceremony),
      },
    },
    async (request, reply) => {
      try {
        return await answer(request, reply);
      } catch (error) {
        const refusal = toServiceError(error);
        if (refusal.status >= 500 && refusal.code !== 'temporarily_unavailable') throw error;
        reply.headers(refusal.headers);
        return sendPasskeyRefusal(reply, refusal.status, refusal.code, refusal.message);
      }
    },
  );
}

/** Sends WebAuthn options, never cached (each holds a single-use challenge). */
export function sendPasskeyOptions(reply: FastifyReply, options: object): FastifyReply {
  return reply.headers(NO_STORE_HEADERS).send(options);
}

/** Sends a refusal in the API's error shape, its description in the person's words. */
export function sendPasskeyRefusal(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply.code(status).headers(NO_STORE_HEADERS).send({ error, error_description: description });
}

/** The largest answer of an authenticator the service reads (a credential id, authenticator data, a signature, JSON around them). */
export const PASSKEY_ANSWER_MAX_LENGTH = 16_384;

/** The body of a form that posts an authenticator's answer: the CSRF token, `credential`, and fields of its own. */
export function passkeyAnswerBody(extra: Record<string, { type: 'string'; maxLength: number }> = {}) {
  return {
    type: 'object',
    required: ['csrf', 'credential'],
    properties: { csrf: { type: 'string', maxLength: 128 }, credential: { type: 'string', maxLength: PASSKEY_ANSWER_MAX_LENGTH }, ...extra },
  } as const;
}

/** A posted answer (the form's `credential` field) as JSON, or undefined when it is none: then refused as any wrong answer. */
export function passkeyAnswer(credential: string): unknown {
  try {
    return JSON.parse(credential) as unknown;
  } catch {
    return undefined;
  }
}
