import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ActingSignIn } from '../account-service.js';
import type { AuditContext } from '../../audit/audit-log.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';
import type { AccountView } from '../pages/account-page.js';
import type { RouteServices } from '../../services.js';
import type { SignedIn, SignInServices } from '../../oidc/http/signed-in.js';

/** What the account page's routes use of the services. */
export type AccountPageServices = Pick<
  RouteServices,
  'accounts' | 'accountMail' | 'clock' | 'config' | 'consents' | 'federation' | 'limit' | 'mfa' | 'passkeys' | 'sessions' | 'signIns'
> &
  SignInServices;

/** The answer of a form that goes back to the account page. */
export const SEE_ACCOUNT = { description: 'Done: back to the account page (or to the login page when not signed in).', type: 'null' } as const;

/** The schema of one of the account page's forms: its fields beside the CSRF token, answered with a redirect. */
export function formSchema(summary: string, fields: Record<string, { type: 'string'; maxLength: number; minLength?: number }>) {
  return {
    summary,
    tags: ['sign-in'],
    security: PUBLIC,
    consumes: ['application/x-www-form-urlencoded'],
    body: { type: 'object', required: ['csrf', ...Object.keys(fields)], properties: { csrf: { type: 'string', maxLength: 128 }, ...fields } },
    response: { 303: SEE_ACCOUNT, 400: HTML_RESPONSE('A wrong current password.'), 403: HTML_RESPONSE('The form did not come from this service (CSRF).') },
  };
}

/** A form's schema as the account routes register it: formSchema's, a description and answers of its own. */
export type AccountFormSchema = Omit<ReturnType<typeof formSchema>, 'response'> & { description?: string; response: Record<number, unknown> };

/** A password-rechecked form's schema: its words, its fields beside the current password, and answers of its own. */
export interface PasswordRecheckedSchema {
  summary: string;
  description: string;
  /** What a 200 shows. */
  answer: string;
  fields?: Record<string, { type: 'string'; maxLength: number }>;
  response?: Record<number, unknown>;
}

/** The account page's own tools, for the routes of its sections. */
export interface AccountPageKit {
  /** Registers one of the page's forms: signed in (else to the login page), its CSRF token checked, then `act`. */
  form<Body extends { csrf: string }>(
    url: string,
    schema: AccountFormSchema,
    act: (person: SignedIn, body: Body, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
  ): void;
  /** Runs a change that re-checks the current password, limited and throttled as a login of the account is. */
  passwordChecked<Result extends object>(
    person: SignedIn,
    request: FastifyRequest,
    reply: FastifyReply,
    change: (acting: ActingSignIn, context: AuditContext) => Promise<Result>,
    done: (result: Exclude<Result, { signedOut: boolean }>) => FastifyReply | Promise<FastifyReply>,
  ): Promise<FastifyReply>;
  /** Registers a form that re-asks the current password (or, without one, a recent sign-in), with fields of its own beside it. */
  passwordRecheckedForm<Fields extends Record<string, string> = Record<never, string>>(
    url: string,
    schema: PasswordRecheckedSchema,
    act: (person: SignedIn, body: Fields, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
  ): void;
  /** Shows the account page, with a status and a note. */
  showAccount(reply: FastifyReply, person: SignedIn, status?: number, message?: AccountView['message']): Promise<FastifyReply>;
  /** The audit context of a signed-in person's request. */
  contextOf(request: FastifyRequest, person: SignedIn): AuditContext;
}
