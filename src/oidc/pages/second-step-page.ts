import { html } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';
import type { PageText } from '../../http/page-text.js';
import { passkeyForm } from '../../http/passkey-form.js';

/** A way to complete the second step: a code from the authenticator app, a recovery code, or a passkey. */
export type SecondStepMethod = 'totp' | 'recovery' | 'passkey';

/** What the second step of a sign-in shows. */
export interface SecondStepView {
  text: PageText;
  csrf: string;
  /** The way asked for now. */
  method: SecondStepMethod;
  /** Every way this account has (the links to the others). */
  methods: readonly SecondStepMethod[];
  message?: string;
  formTargets: readonly string[];
}

/** The link to each way, by its words. */
const OTHER_WAYS = {
  totp: { href: '/login/second-step?method=totp', words: 'second_step.use_app' },
  recovery: { href: '/login/second-step?method=recovery', words: 'second_step.use_recovery' },
  passkey: { href: '/login/second-step?method=passkey', words: 'second_step.use_passkey' },
} as const;

/** The code form: Authentication code and Verify, or a recovery code; works without JavaScript. */
function codeForm(view: SecondStepView) {
  const { text } = view;
  const totp = view.method === 'totp';
  const field = totp
    ? html`<label for="code">${text.text('second_step.code')}</label>
        <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,8}" required maxlength="8" autofocus />`
    : html`<label for="code">${text.text('second_step.recovery_code')}</label>
        <input type="text" id="code" name="code" autocomplete="off" autocapitalize="none" spellcheck="false" required maxlength="40" autofocus />`;
  return html`<p>${text.text(totp ? 'second_step.intro' : 'second_step.recovery_intro')}</p>
    <form method="post" action="/login/second-step">
      <input type="hidden" name="csrf" value="${view.csrf}" />
      <input type="hidden" name="method" value="${view.method}" />
      ${field}
      <button type="submit">${text.text('second_step.button')}</button>
    </form>`;
}

/** The second step: the way asked for, and links to the account's other ways. */
export function secondStepPage(view: SecondStepView): Page {
  const { text } = view;
  const passkey = view.method === 'passkey';
  const form = passkey
    ? html`<p>${text.text('second_step.passkey_intro')}</p>
        ${passkeyForm({
          ceremony: 'second-step',
          action: '/login/second-step/passkey',
          options: '/login/second-step/passkey/options',
          csrf: view.csrf,
          button: text.text('second_step.use_passkey'),
          failed: text.text('passkey.failed'),
        })}`
    : codeForm(view);
  const others = view.methods.filter((method) => method !== view.method).map((method) => OTHER_WAYS[method]);
  return {
    title: text.text('second_step.title'),
    lang: text.lang,
    formTargets: view.formTargets,
    passkeys: passkey,
    body: html`${view.message ? html`<p class="message" role="alert">${view.message}</p>` : ''} ${form}
      <p class="links">${others.map((other) => html`<a href="${other.href}">${text.text(other.words)}</a>`)}</p>`,
  };
}
