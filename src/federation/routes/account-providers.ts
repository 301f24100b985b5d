import { pageText, problemPageFor, sendPage } from '../../http/page-reply.js';
import type { MessageKey } from '../../http/locales/en.js';
import { HTML_RESPONSE } from '../../routes/schemas.js';
import { formSchema, type AccountPageKit, type AccountPageServices } from '../../accounts/routes/account-forms.js';
import type { UnlinkOutcome } from '../federation-service.js';
import { setPendingCookie } from '../http/pending-cookie.js';
import { PROVIDER_ID_MAX_LENGTH } from '../provider.js';

/** What the account page says of an unlink, by outcome. */
const UNLINK_WORDS: Record<Exclude<UnlinkOutcome, 'not_linked'>, { status: number; text: MessageKey }> = {
  unlinked: { status: 200, text: 'account.provider_unlinked' },
  last_way: { status: 409, text: 'account.provider_last_way' },
};

/**
 * The account page's providers: link one (proving the account first: the current password, or a recent sign-in for an
 * account without one; then a round trip to the provider, which the callback finishes for this very sign-in), unlink
 * one (never the last way the account signs in).
 */
export function accountProviderRoutes(services: AccountPageServices, kit: AccountPageKit): void {
  const { config, federation } = services;
  const { form, passwordRecheckedForm, showAccount, contextOf } = kit;

  passwordRecheckedForm<{ provider: string }>(
    '/account/providers/link',
    {
      summary: 'Link another provider',
      description:
        'Checks the current password (limited and throttled as a login; an account without one needs a sign-in of the last 5 minutes), then sends the browser to the provider. Its callback links the identity to this account, only in this same sign-in; never by a matching email.',
      answer: 'Never: a proven request goes on to the provider (303).',
      fields: { provider: { type: 'string', maxLength: PROVIDER_ID_MAX_LENGTH } },
      response: {
        303: { description: 'On to the provider (or back to the account page for an unknown provider).', type: 'null' },
        503: HTML_RESPONSE('The provider cannot be reached.'),
      },
    },
    async (person, body, request, reply) => {
      const provider = federation.provider(body.provider);
      if (!provider) return reply.redirect('/account', 303);
      let started;
      try {
        started = await federation.begin(provider, undefined, { userId: person.user.id, signInId: person.signIn.id });
      } catch {
        return sendPage(reply, 503, problemPageFor(request, 'federation.refused_title', 'federation.unavailable_text'));
      }
      setPendingCookie(reply, config, started.pending);
      return reply.redirect(started.url.href, 303);
    },
  );

  form<{ csrf: string; provider: string }>(
    '/account/providers/unlink',
    {
      ...formSchema('Unlink a provider', { provider: { type: 'string', maxLength: PROVIDER_ID_MAX_LENGTH } }),
      description:
        'Unlinks the provider: its identity no longer signs this account in (the owner is told by mail). Refused (409) when it is the only way the account signs in: no password, no passkey, no other provider.',
      response: {
        ...formSchema('', {}).response,
        200: HTML_RESPONSE('The account page, saying the provider is unlinked.'),
        409: HTML_RESPONSE('The account page, saying this is the last way the account signs in.'),
      },
    },
    async (person, body, request, reply) => {
      const { outcome, name } = await federation.unlink(person.user, body.provider, contextOf(request, person), 'by_owner');
      if (outcome === 'not_linked') return reply.redirect('/account', 303);
      const { status, text } = UNLINK_WORDS[outcome];
      return showAccount(reply, person, status, { text: pageText(request).text(text, { name }), problem: status !== 200 });
    },
  );
}
