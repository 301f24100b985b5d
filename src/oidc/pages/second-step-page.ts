import { html } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';
import type { PageText } from '../../http/page-text.js';

/** What the second step of a sign-in shows. */
export interface SecondStepView {
  text: PageText;
  csrf: string;
  /** The authenticator app's code, or a recovery code. */
  method: 'totp' | 'recovery';
  message?: string;
  formTargets: readonly string[];
}

/** The second step: Authentication code and Verify (or a recovery code); works without JavaScript. */
export function secondStepPage(view: SecondStepView): Page {
  const { text } = view;
  const totp = view.method === 'totp';
  const field = totp
    ? html`<label for="code">${text.text('second_step.code')}</label>
        <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,8}" required maxlength="8" autofocus />`
    : html`<label for="code">${text.text('second_step.recovery_code')}</label>
        <input type="text" id="code" name="code" autocomplete="off" autocapitalize="none" spellcheck="false" required maxlength="40" autofocus />`;
  const other = totp
    ? html`<a href="/login/second-step?method=recovery">${text.text('second_step.use_recovery')}</a>`
    : html`<a href="/login/second-step">${text.text('second_step.use_app')}</a>`;
  return {
    title: text.text('second_step.title'),
    lang: text.lang,
    formTargets: view.formTargets,
    body: html`${view.message ? html`<p class="message" role="alert">${view.message}</p>` : ''}
      <p>${text.text(totp ? 'second_step.intro' : 'second_step.recovery_intro')}</p>
      <form method="post" action="/login/second-step">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <input type="hidden" name="method" value="${view.method}" />
        ${field}
        <button type="submit">${text.text('second_step.button')}</button>
      </form>
      <p class="note">${other}</p>`,
  };
}
