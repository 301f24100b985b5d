import { html } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';
import type { PageText } from '../../http/page-text.js';
import { DEVICE_PATH } from '../device-authorization-service.js';
import { displayedUserCode } from '../user-code.js';
import { allowOrDeny, clientLinks, clientRequest, logoSources, type ClientRequestView } from './sign-in-pages.js';

/** Where the confirmation's Allow and Deny go. */
export const DEVICE_DECISION_PATH = `${DEVICE_PATH}/decision`;

/** What the code entry page shows. */
export interface DeviceEntryView {
  text: PageText;
  csrf: string;
  /** What was typed, shown again beside a problem. */
  typed?: string;
  message?: string;
}

/**
 * The code entry page (RFC 8628 §3.3): one field, made for typing a code read off a screen — no autocorrection or
 * autofill, capitals offered, the hyphen optional.
 */
export function deviceEntryPage(view: DeviceEntryView): Page {
  const { text } = view;
  return {
    title: text.text('device.title'),
    lang: text.lang,
    body: html`${view.message ? html`<p class="message" role="alert">${view.message}</p>` : ''}
      <p>${text.text('device.enter')}</p>
      <form method="post" action="${DEVICE_PATH}">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <label for="user_code">${text.text('device.code_label')}</label>
        <input
          type="text"
          id="user_code"
          name="user_code"
          value="${view.typed ?? ''}"
          required
          maxlength="32"
          autocomplete="off"
          autocapitalize="characters"
          autocorrect="off"
          spellcheck="false"
          placeholder="BCDF-GHJK"
          autofocus
        />
        <button type="submit">${text.text('device.continue')}</button>
      </form>`,
  };
}

/** What the confirmation page shows. */
export interface DeviceConfirmView extends ClientRequestView {
  text: PageText;
  csrf: string;
  /** The user code, normalized. */
  userCode: string;
}

/**
 * Asks the person to allow the device (RFC 8628 §3.3): the client by name, what it asks for, and the code to compare
 * with the device's screen — §5.4: a person sent a code by someone else must see that it is not their own device.
 */
export function deviceConfirmPage(view: DeviceConfirmView): Page {
  const { text } = view;
  return {
    title: text.text('device.confirm_title'),
    lang: text.lang,
    imageSources: logoSources(view.display),
    body: html`${clientRequest(view, text, 'device.asks')}
      <p class="message" role="note">${text.html('device.compare', { code: html`<strong><code>${displayedUserCode(view.userCode)}</code></strong>` })}</p>
      ${allowOrDeny(DEVICE_DECISION_PATH, view.csrf, { user_code: view.userCode }, text)} ${clientLinks(view.display, text)}`,
  };
}
