import { html, SafeHtml } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';
import type { PageText } from '../../http/page-text.js';

/** The setup of an authenticator app: its QR code (an SVG drawn on the server), the key as text, and the confirming code. */
export function enrolPage(view: { text: PageText; csrf: string; qrSvg: string; secret: string; message?: string }): Page {
  const { text } = view;
  const key = view.secret.match(/.{1,4}/g)!.join(' ');
  return {
    title: text.text('enrol.title'),
    lang: text.lang,
    body: html`${view.message ? html`<p class="message" role="alert">${view.message}</p>` : ''}
      <p>${text.text('enrol.scan')}</p>
      <div class="qr" role="img" aria-label="${text.text('enrol.qr_label')}">${new SafeHtml(view.qrSvg)}</div>
      <p>${text.html('enrol.key', { key: html`<code>${key}</code>` })}</p>
      <p>${text.text('enrol.confirm')}</p>
      <form method="post" action="/account/two-step/confirm">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <label for="code">${text.text('second_step.code')}</label>
        <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,8}" required maxlength="8" />
        <button type="submit">${text.text('second_step.button')}</button>
      </form>`,
  };
}

/** Recovery codes, shown once: after the setup, or when new ones are made. */
export function recoveryCodesPage(text: PageText, codes: readonly string[], renewed: boolean): Page {
  return {
    title: text.text('codes.title'),
    lang: text.lang,
    body: html`<p role="status">${text.text(renewed ? 'codes.renewed' : 'codes.intro')}</p>
      <ul class="codes" aria-label="${text.text('codes.list_label')}">
        ${codes.map((code) => html`<li><code>${code}</code></li>`)}
      </ul>
      <p><a href="/account">${text.text('codes.back')}</a></p>`,
  };
}
