import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import type { Services } from '../../services.js';
import type { SignInRecord, UserRecord } from '../../store/types.js';
import { clearSignInCookie, signInSecretOf } from './sign-in-cookie.js';

/** The person behind a request's sign-in cookie: their account, the sign-in and its secret. */
export interface SignedIn {
  user: UserRecord;
  signIn: SignInRecord;
  secret: string;
}

/** What reading and ending the sign-in of a request use of the services. */
export type SignInServices = Pick<Services, 'config' | 'signIns' | 'users' | 'accounts'>;

/**
 * The person signed in through the request's cookie, on every page that needs one. A sign-in whose account is
 * disabled or gone ends here, with the sessions it started.
 */
export async function signedInPerson(request: FastifyRequest, services: SignInServices): Promise<SignedIn | undefined> {
  const secret = signInSecretOf(request, services.config);
  const signIn = await services.signIns.current(secret);
  if (!signIn || secret === undefined) return undefined;
  const user = await services.users.findActive(signIn.userId);
  if (user) return { user, signIn, secret };
  await services.signIns.end(secret);
  return undefined;
}

/** Signs the request's browser out: ends its sign-in and the sessions it started, audits it, and clears the cookie. */
export async function signOut(request: FastifyRequest, reply: FastifyReply, services: SignInServices): Promise<void> {
  const secret = signInSecretOf(request, services.config);
  if (secret !== undefined) await services.accounts.signOut(secret, requestContext(request));
  clearSignInCookie(reply, services.config);
}
