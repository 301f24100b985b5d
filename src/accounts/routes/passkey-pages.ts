import type { FastifyInstance } from 'fastify';
import { pageText, sendPage } from '../../http/page-reply.js';
import { PASSKEY_ANSWER_MAX_LENGTH, passkeyAnswer, passkeyOptionsRoute, sendPasskeyOptions, sendPasskeyRefusal } from '../../routes/passkey-options.js';
import type { MessageKey } from '../../http/locales/en.js';
import { MAX_PASSKEYS, PASSKEY_NAME_MAX_LENGTH } from '../../mfa/passkeys.js';
import { clearSignInCookie, csrfMatches } from '../../oidc/http/sign-in-cookie.js';
import { signedInPerson } from '../../oidc/http/signed-in.js';
import { HTML_RESPONSE } from '../../routes/schemas.js';
import { PASSWORD_MAX_BYTES } from '../../users/credentials.js';
import { recoveryCodesPage } from '../pages/two-step-pages.js';
import { formSchema, type AccountPageKit, type AccountPageServices } from './account-forms.js';

/** A passkey's name as kept: trimmed, control characters gone; undefined when nothing is left. */
function passkeyName(raw: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const name = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return name === '' || name.length > PASSKEY_NAME_MAX_LENGTH ? undefined : name;
}

/** Why adding a passkey was refused, in the page's words. */
const ADD_REFUSALS: Readonly<Record<string, MessageKey>> = { known: 'account.passkey_known', too_many: 'account.passkey_too_many' };

/**
 * The account page's passkeys: add one (the current password, a name, then the device: a challenge for this sign-in,
 * answered as a form), rename one, remove one (the current password again). A new passkey, like any new factor,
 * signs every other browser out; the first second factor of an account comes with its recovery codes.
 */
export function accountPasskeyRoutes(app: FastifyInstance, services: AccountPageServices, kit: AccountPageKit): void {
  const { config } = services;
  const { form, passwordRecheckedForm, showAccount, contextOf } = kit;

  passkeyOptionsRoute<{ csrf: string; name: string; current_password: string }>(
    app,
    {
      url: '/account/passkeys/options',
      summary: 'Add a passkey: a challenge',
      description:
        'Checks the current password (limited and throttled as a login) and the name, then answers WebAuthn options for navigator.credentials.create(): a single-use challenge (5 minutes) bound to this sign-in, a discoverable credential with user verification, the account\u2019s passkeys excluded.',
      ceremony: 'adding a passkey',
      fields: { name: { type: 'string', maxLength: 256 }, current_password: { type: 'string', maxLength: PASSWORD_MAX_BYTES } },
    },
    async (request, reply) => {
      const text = pageText(request);
      await services.limit('otherIp', request);
      const person = await signedInPerson(request, services);
      if (!person) return sendPasskeyRefusal(reply, 403, 'access_denied', text.text('account.locked_out_text'));
      if (!csrfMatches(request.body.csrf, person.secret)) return sendPasskeyRefusal(reply, 403, 'access_denied', text.text('problem.foreign_form'));
      if (!services.passkeys.enabled) return sendPasskeyRefusal(reply, 404, 'not_found', text.text('account.passkeys_off'));
      const name = passkeyName(request.body.name);
      if (name === undefined) return sendPasskeyRefusal(reply, 400, 'invalid_request', text.text('account.passkey_name_note'));
      if ((await services.passkeys.list(person.user.id)).length >= MAX_PASSKEYS) {
        return sendPasskeyRefusal(reply, 400, 'invalid_request', text.text('account.passkey_too_many'));
      }
      request.pageUser = person.user;
      await services.limit('loginIp', request);
      await services.limit('loginUser', request);
      const origin = { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' };
      const acting = { secret: person.secret, signIn: person.signIn, origin };
      const checked = await services.accounts.recheckPassword(person.user, request.body.current_password, acting, contextOf(request, person));
      if ('signedOut' in checked) {
        if (!checked.signedOut) {
          return sendPasskeyRefusal(reply, 400, 'invalid_request', text.text(checked.signInAgain ? 'account.sign_in_again' : 'account.password_wrong'));
        }
        clearSignInCookie(reply, config);
        return sendPasskeyRefusal(reply, 403, 'access_denied', text.text('account.locked_out_text'));
      }
      return sendPasskeyOptions(reply, await services.passkeys.addOptions(person.user, name, person.secret));
    },
  );

  form<{ csrf: string; credential: string }>(
    '/account/passkeys/add',
    {
      ...formSchema('Add a passkey', { credential: { type: 'string', maxLength: PASSKEY_ANSWER_MAX_LENGTH } }),
      description:
        "The device's answer (`credential`, WebAuthn's RegistrationResponseJSON) to this sign-in's challenge: checked (origin, RP id, user verification), the passkey is kept under the name given, every other sign-in and session of the account ends, and the owner is told by mail. The account's first second factor comes with ten recovery codes, shown once.",
      response: {
        200: HTML_RESPONSE('The account page saying the passkey is added, or the recovery codes of a first factor, shown once.'),
        400: HTML_RESPONSE('The answer was refused (a failed check, a spent challenge, a passkey on an account already, too many).'),
        403: HTML_RESPONSE('The form did not come from this service (CSRF).'),
      },
    },
    async (person, body, request, reply) => {
      const text = pageText(request);
      const context = contextOf(request, person);
      const added = services.passkeys.enabled ? await services.passkeys.add(person.user, passkeyAnswer(body.credential), person.secret, context) : undefined;
      if (!added?.ok) {
        const words = (added && ADD_REFUSALS[added.reason]) ?? 'account.passkey_refused';
        return showAccount(reply, person, 400, { text: text.text(words), problem: true });
      }
      const { recoveryCodes } = await services.mfa.passkeyAdded(person.user);
      // A new factor applies to every browser: one signed in before with the password alone is signed out.
      await services.accounts.endEverything(person.user.id, 'second_factor_added', context, { secret: person.secret, id: person.signIn.id });
      if (recoveryCodes) return sendPage(reply, 200, recoveryCodesPage(text, recoveryCodes, false));
      return showAccount(reply, person, 200, { text: text.text('account.passkey_added', { name: added.passkey.name }), problem: false });
    },
  );

  form<{ csrf: string; id: string; name: string }>(
    '/account/passkeys/rename',
    {
      ...formSchema('Rename a passkey', { id: { type: 'string', maxLength: 1400 }, name: { type: 'string', maxLength: 256 } }),
      response: {
        ...formSchema('', {}).response,
        200: HTML_RESPONSE('The account page, saying the passkey is renamed.'),
        400: HTML_RESPONSE('An empty or too long name.'),
      },
    },
    async (person, body, request, reply) => {
      const text = pageText(request);
      const name = passkeyName(body.name);
      if (name === undefined) return showAccount(reply, person, 400, { text: text.text('account.passkey_name_note'), problem: true });
      if (!(await services.passkeys.rename(person.user.id, body.id, name))) return reply.redirect('/account', 303);
      return showAccount(reply, person, 200, { text: text.text('account.passkey_renamed'), problem: false });
    },
  );

  passwordRecheckedForm<{ id: string }>(
    '/account/passkeys/remove',
    {
      summary: 'Remove a passkey',
      description:
        'Checks the current password (limited and throttled as a login); removes the passkey (and the recovery codes when no other factor is left), and tells the owner by mail.',
      answer: 'The account page, saying the passkey is removed.',
      fields: { id: { type: 'string', maxLength: 1400 } },
    },
    async (person, body, request, reply) => {
      if (!(await services.mfa.removePasskey(person.user, body.id, contextOf(request, person)))) return reply.redirect('/account', 303);
      return showAccount(reply, person, 200, { text: pageText(request).text('account.passkey_removed'), problem: false });
    },
  );
}
