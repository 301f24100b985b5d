import { html } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';
import type { PageText } from '../../http/page-text.js';

/** The "Forgot password?" page: one field, Username or email, and Send reset link. */
export function forgotPasswordPage(view: { text: PageText; csrf: string; login?: string; message?: string }): Page {
  const { text } = view;
  return {
    title: text.text('forgot.title'),
    lang: text.lang,
    body: html`${view.message ? html`<p class="message" role="alert">${view.message}</p>` : ''}
      <p>${text.text('forgot.intro')}</p>
      <form method="post" action="/forgot-password">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <label for="login">${text.text('field.login')}</label>
        <input
          type="text"
          id="login"
          name="login"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          maxlength="254"
          value="${view.login ?? ''}"
        />
        <button type="submit">${text.text('forgot.button')}</button>
      </form>
      <p class="note"><a href="/login">${text.text('forgot.back')}</a></p>`,
  };
}

/** The same answer to every reset request, whether or not an account matched. */
export function resetRequestedPage(text: PageText): Page {
  return {
    title: text.text('forgot.sent_title'),
    lang: text.lang,
    body: html`<p role="status">${text.text('forgot.sent_text')}</p>
      <p class="note"><a href="/login">${text.text('forgot.back')}</a></p>`,
  };
}

/** The reset link's page: New password, and Set password. The link's secret goes back in the form, never in a cookie. */
export function resetPasswordPage(view: { text: PageText; token: string; username: string; message?: string }): Page {
  const { text } = view;
  return {
    title: text.text('reset.title'),
    lang: text.lang,
    body: html`${view.message ? html`<p class="message" role="alert">${view.message}</p>` : ''}
      <form method="post" action="/reset-password">
        <input type="hidden" name="token" value="${view.token}" />
        <input type="text" name="username" value="${view.username}" autocomplete="username" hidden readonly />
        <label for="new_password">${text.text('field.new_password')}</label>
        <input
          type="password"
          id="new_password"
          name="new_password"
          autocomplete="new-password"
          required
          minlength="8"
          maxlength="1024"
          aria-describedby="reset-note"
        />
        <p class="note" id="reset-note">${text.text('register.password_rule')} ${text.text('reset.note')}</p>
        <button type="submit">${text.text('reset.button')}</button>
      </form>`,
  };
}

/** After a reset: the password is set, everything ended; on to sign in. */
export function passwordResetPage(text: PageText): Page {
  return {
    title: text.text('reset.done_title'),
    lang: text.lang,
    body: html`<p role="status">${text.text('reset.done_text')}</p>
      <p><a href="/login">${text.text('reset.sign_in')}</a></p>`,
  };
}

/** The verification link's page: which address, for which account, and Confirm email address (a GET never spends the link). */
export function verifyEmailPage(view: { text: PageText; token: string; address: string; username: string }): Page {
  const { text } = view;
  return {
    title: text.text('verify.title'),
    lang: text.lang,
    body: html`<p>${text.html('verify.text', { address: html`<strong>${view.address}</strong>`, username: html`<strong>${view.username}</strong>` })}</p>
      <form method="post" action="/verify-email">
        <input type="hidden" name="token" value="${view.token}" />
        <button type="submit">${text.text('verify.button')}</button>
      </form>`,
  };
}

/** After following a verification link. */
export function emailVerifiedPage(text: PageText, address: string): Page {
  return {
    title: text.text('verify.done_title'),
    lang: text.lang,
    body: html`<p role="status">${text.html('verify.done_text', { address: html`<strong>${address}</strong>` })}</p>`,
  };
}
