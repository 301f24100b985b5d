import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../../clients/client.js';
import { pageText, problemPageFor, registerPageHeaders, sendPage } from '../../http/page-reply.js';
import { registerCookies } from '../../http/refresh-cookie.js';
import { browserBinding, csrfMatches, csrfToken, presentedBrowserBinding, signInSecretOf } from '../http/sign-in-cookie.js';
import { type SignInServices, signOut } from '../http/signed-in.js';
import { formTargetOf } from '../../http/page-layout.js';
import { confirmSignOutPage, signedOutPage } from '../pages/sign-in-pages.js';
import type { RouteServices } from '../../services.js';
import { verifyIdTokenHint, type IdTokenHint } from '../../tokens/id-token.js';
import { HTML_RESPONSE, PUBLIC } from '../../routes/schemas.js';

/** What these routes use of the services. */
export type EndSessionServices = Pick<RouteServices, 'clients' | 'config' | 'keyring' | 'limit' | 'signIns'> & SignInServices;

/** Where RP-initiated logout lives (the end_session_endpoint). */
export const END_SESSION_PATH = '/oauth/end-session';

const endSessionParameters = {
  type: 'object',
  properties: {
    id_token_hint: { type: 'string', maxLength: 8192, description: 'An ID token this service issued to the application.' },
    post_logout_redirect_uri: {
      type: 'string',
      maxLength: 2048,
      description: 'Where to go afterwards: one of the client\u2019s post_logout_redirect_uris, exactly.',
    },
    state: { type: 'string', maxLength: 512, description: 'Echoed to post_logout_redirect_uri.' },
    client_id: { type: 'string', maxLength: 128, description: 'The client, when there is no id_token_hint.' },
  },
} as const;

type EndSessionParams = { id_token_hint?: string; post_logout_redirect_uri?: string; state?: string; client_id?: string };

/** A checked end-session request: who asked (if the hint says), and where to go afterwards (if allowed). */
interface EndSessionRequest {
  hint: IdTokenHint | undefined;
  /** The post-logout redirect with state, when the request named a registered one. */
  next: string | undefined;
}

/** Checks the request (OpenID Connect RP-Initiated Logout 1.0 §2, §3); a string is the reason to refuse it. */
async function checked(params: EndSessionParams, services: EndSessionServices): Promise<EndSessionRequest | string> {
  const hint = params.id_token_hint === undefined ? undefined : await verifyIdTokenHint(params.id_token_hint, services.keyring, services.config.issuer);
  if (params.id_token_hint !== undefined && !hint) return 'The sign-out request carries an ID token this service did not issue.';
  if (hint && params.client_id !== undefined && params.client_id !== hint.clientId) return 'The sign-out request names two different applications.';
  const clientId = hint?.clientId ?? params.client_id;
  const client: Client | undefined = clientId === undefined ? undefined : services.clients.get(clientId);
  if (params.post_logout_redirect_uri === undefined) return { hint, next: undefined };
  // Exact comparison with the client's registered list: never an open redirect.
  if (!client || !client.postLogoutRedirectUris.includes(params.post_logout_redirect_uri))
    return 'The address to return to after signing out is not registered for this application.';
  const next = new URL(params.post_logout_redirect_uri);
  if (params.state !== undefined) next.searchParams.append('state', params.state);
  return { hint, next: next.href };
}

/** RP-initiated logout: ends the sign-in and the token sessions it started, then returns to the application. */
export async function endSessionRoutes(app: FastifyInstance, services: EndSessionServices): Promise<void> {
  await registerCookies(app);
  registerPageHeaders(app);
  const { config } = services;

  async function signOutTo(request: FastifyRequest, reply: FastifyReply, next: string | undefined) {
    await signOut(request, reply, services);
    return next === undefined ? sendPage(reply, 200, signedOutPage(pageText(request))) : reply.redirect(next, 302);
  }

  app.get(
    END_SESSION_PATH,
    {
      schema: {
        summary: 'End session (RP-initiated logout)',
        description:
          'OpenID Connect RP-Initiated Logout 1.0: with an id_token_hint of the signed-in person, ends the sign-in and the sessions it started and returns to post_logout_redirect_uri; without one, asks first.',
        tags: ['openid'],
        security: PUBLIC,
        querystring: endSessionParameters,
        response: {
          200: HTML_RESPONSE('Signed out, or the confirmation.'),
          302: { description: 'Signed out: back to the application.', type: 'null' },
          400: HTML_RESPONSE('The request is refused.'),
        },
      },
    },
    async (request: FastifyRequest<{ Querystring: EndSessionParams }>, reply) => {
      await services.limit('otherIp', request);
      const endSession = await checked(request.query, services);
      if (typeof endSession === 'string') return sendPage(reply, 400, problemPageFor(request, 'problem.bad_sign_out_request', { asWritten: endSession }));
      const secret = signInSecretOf(request, config);
      const signIn = await services.signIns.current(secret);
      // The hint proves the application is one of this person's only when it names their current sign-in.
      if (!signIn || (endSession.hint !== undefined && endSession.hint.signInId === signIn.id)) return signOutTo(request, reply, endSession.next);
      // Only the endpoint's own parameters, by own property: `in` would also let `constructor` or `toString` through.
      const hidden = Object.fromEntries(
        Object.entries(request.query).filter(([name]) => name !== 'id_token_hint' && Object.hasOwn(endSessionParameters.properties, name)),
      ) as Record<string, string>;
      if (endSession.hint) hidden.client_id = endSession.hint.clientId;
      const csrf = csrfToken(secret ?? browserBinding(request, reply, config));
      return sendPage(
        reply,
        200,
        confirmSignOutPage({ text: pageText(request), csrf, hidden, formTargets: endSession.next === undefined ? [] : [formTargetOf(endSession.next)] }),
      );
    },
  );

  app.post(
    END_SESSION_PATH,
    {
      schema: {
        summary: 'Confirm sign-out',
        description: 'The sign-out confirmation form.',
        tags: ['openid'],
        security: PUBLIC,
        consumes: ['application/x-www-form-urlencoded'],
        body: { ...endSessionParameters, required: ['csrf'], properties: { ...endSessionParameters.properties, csrf: { type: 'string', maxLength: 128 } } },
        response: {
          200: HTML_RESPONSE('Signed out.'),
          302: { description: 'Signed out: back to the application.', type: 'null' },
          400: HTML_RESPONSE('The request is refused.'),
          403: HTML_RESPONSE('The form did not come from this service (CSRF).'),
        },
      },
    },
    async (request: FastifyRequest<{ Body: EndSessionParams & { csrf: string } }>, reply) => {
      await services.limit('otherIp', request);
      const binding = signInSecretOf(request, config) ?? presentedBrowserBinding(request, config);
      if (!csrfMatches(request.body.csrf, binding)) return sendPage(reply, 403, problemPageFor(request, 'problem.refused_title', 'problem.foreign_form'));
      const { id_token_hint: _ignored, ...params } = request.body;
      const endSession = await checked(params, services);
      if (typeof endSession === 'string') return sendPage(reply, 400, problemPageFor(request, 'problem.bad_sign_out_request', { asWritten: endSession }));
      return signOutTo(request, reply, endSession.next);
    },
  );
}
