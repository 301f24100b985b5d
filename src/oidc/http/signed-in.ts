import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit-log.js';
import type { Services } from '../../services.js';
import type { SignInRecord, UserRecord } from '../../store/types.js';
import { clearSignInCookie, knownBrowser, setSignInCookie, signInSecretOf } from './sign-in-cookie.js';

/** The person behind a request's sign-in cookie: their account, the sign-in and its secret. */
export interface SignedIn {
  user: UserRecord;
  signIn: SignInRecord;
  secret: string;
}

/** What reading and ending the sign-in of a request use of the services. */
export type SignInServices = Pick<Services, 'config' | 'signIns' | 'users' | 'accounts'>;

/** What starting a sign-in uses of the services. */
export type StartSignInServices = SignInServices & Pick<Services, 'accountMail'>;

/** How a sign-in came about: the page, where it continues, the request it is for, and what was proven (RFC 8176). */
export interface SignInStart {
  via: 'login_page' | 'registration_page' | 'second_step' | 'passkey' | 'federation';
  returnTo: string | undefined;
  authenticatedFor: string | undefined;
  amr: readonly string[];
}

/**
 * Starts the sign-in of a person who just proved who they are and continues where they were going: a new cookie
 * secret (the browser's previous sign-in is forgotten, or ended when it was another person's), the new-browser notice,
 * and login_succeeded.
 */
export async function startSignIn(request: FastifyRequest, reply: FastifyReply, services: StartSignInServices, user: UserRecord, start: SignInStart) {
  const { config } = services;
  const previousSecret = signInSecretOf(request, config);
  const previous = await services.signIns.current(previousSecret);
  if (previousSecret !== undefined) await (previous?.userId === user.id ? services.signIns.forget(previousSecret) : services.signIns.end(previousSecret));
  const origin = { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' };
  const { secret } = await services.signIns.start(user, origin, previous, start.authenticatedFor, start.amr);
  setSignInCookie(reply, config, secret, services.signIns.cookieMaxAge);
  if (config.mail.newBrowserNotice)
    await services.accountMail.signedInFrom(user, knownBrowser(request, reply, config), origin, start.via !== 'registration_page');
  services.accounts.loggedIn(user, start.via, requestContext(request));
  return reply.redirect(start.returnTo ?? '/account', 303);
}

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
