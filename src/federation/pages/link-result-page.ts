import { html } from '../../http/html.js';
import type { MessageKey } from '../../http/locales/en.js';
import type { Page } from '../../http/page-layout.js';
import type { PageText } from '../../http/page-text.js';

/** What came of linking a provider to the signed-in account, and the way back to the account page. */
export function linkResultPage(text: PageText, provider: string, words: MessageKey, linked: boolean): Page {
  return {
    title: text.text(linked ? 'federation.linked_title' : 'federation.link_failed_title'),
    lang: text.lang,
    body: html`<p class="${linked ? 'note' : 'message'}" role="${linked ? 'status' : 'alert'}">${text.text(words, { provider })}</p>
      <p><a href="/account">${text.text('federation.back_to_account')}</a></p>`,
  };
}
