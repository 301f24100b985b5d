import type { ConsentRecord, SessionRecord } from '../../store/types.js';
import { scopeList } from '../../tokens/scope.js';
import { html } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';
import type { PageText } from '../../http/page-text.js';
import type { FactorsView, PasskeyView } from '../../mfa/mfa-service.js';
import type { MfaPolicy } from '../../config.js';
import { PASSKEY_NAME_MAX_LENGTH } from '../../mfa/passkeys.js';
import { passkeyForm } from '../../http/passkey-form.js';
import type { LinkedProvider } from '../../federation/federation-service.js';

/** What the account page shows. */
export interface AccountView {
  /** The words of the page, in the person's language. */
  text: PageText;
  username: string;
  /** The account's address, and whether a confirmation link can be sent (mail is on). */
  email: { address: string; verified: boolean } | undefined;
  mailEnabled: boolean;
  /** The account's second factors (never their secrets). */
  factors: FactorsView;
  /** Whether passkeys can be added here (config.passkeys). */
  passkeysEnabled: boolean;
  /** MFA: second factors optional, required of everyone (a notice until one is added), or off (no section). */
  mfaPolicy: MfaPolicy;
  /** The upstream providers linked to the account, those it could link, and whether linking asks for a password. */
  providers: { linked: readonly LinkedProvider[]; offered: ReadonlyArray<{ id: string; name: string }> };
  /** Whether the account has a password; without one (it signs in through another provider), a recent sign-in proves it. */
  hasPassword: boolean;
  /** Origins the page's forms may end up at (a provider's authorization endpoint, for linking). */
  formTargets: readonly string[];
  /** The authorization request the person was on its way to when MFA=required sent them here, offered once a factor is set up. */
  continueTo?: string;
  csrf: string;
  /** The person's token sessions, oldest first. */
  sessions: readonly SessionRecord[];
  /** The sign-in this page is shown in: its sessions are marked "this browser". */
  signInId: string;
  consents: readonly ConsentRecord[];
  /** A note above everything (a changed password, a wrong current password). */
  message?: { text: string; problem: boolean };
}

/** Epoch seconds as `2026-11-28 19:30 UTC`. */
function when(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function csrfField(csrf: string) {
  return html`<input type="hidden" name="csrf" value="${csrf}" />`;
}

/**
 * The current password a sensitive change re-asks; an account without one (it signs in through another provider)
 * proves itself by a recent sign-in instead, so its forms carry the field empty and hidden.
 */
function currentPassword(view: AccountView, id: string) {
  if (!view.hasPassword) return html`<input type="hidden" name="current_password" value="" />`;
  return html`<label for="${id}">${view.text.text('account.current_password')}</label>
    <input type="password" id="${id}" name="current_password" autocomplete="current-password" required maxlength="1024" />`;
}

function sessionsTable(view: AccountView) {
  const { text } = view;
  if (view.sessions.length === 0) return html`<p class="note">${text.text('account.sessions_none')}</p>`;
  // At 375 px the table scrolls inside its own region (focusable, so a keyboard can scroll it), never the page.
  return html`<div class="table-scroll" role="region" aria-label="${text.text('account.sessions_region')}" tabindex="0">
    <table>
      <caption class="note">
        ${text.text('account.sessions_caption')}
      </caption>
      <thead>
        <tr>
          <th scope="col">${text.text('account.column_application')}</th>
          <th scope="col">${text.text('account.column_device')}</th>
          <th scope="col">${text.text('account.column_ip')}</th>
          <th scope="col">${text.text('account.column_started')}</th>
          <th scope="col">${text.text('account.column_last_used')}</th>
          <th scope="col"><span class="note">${text.text('account.column_action')}</span></th>
        </tr>
      </thead>
      <tbody>
        ${view.sessions.map(
          (session) =>
            html`<tr>
              <td>${session.clientId}${session.signInId === view.signInId ? html` <strong>${text.text('account.this_browser')}</strong>` : ''}</td>
              <td>${session.userAgent || text.text('account.unknown_device')}</td>
              <td>${session.ip}</td>
              <td>${when(session.createdAt)}</td>
              <td>${when(session.lastUsedAt)}</td>
              <td>
                <form method="post" action="/account/end-session">
                  ${csrfField(view.csrf)}<input type="hidden" name="sid" value="${session.sid}" /><button
                    type="submit"
                    class="secondary"
                    aria-label="${text.text('account.end_label', { client: session.clientId, started: when(session.createdAt) })}"
                  >
                    ${text.text('account.end')}
                  </button>
                </form>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function consentsList(view: AccountView) {
  const { text } = view;
  if (view.consents.length === 0) return html`<p class="note">${text.text('account.allowed_none')}</p>`;
  return html`<ul>
      ${view.consents.map(
        (consent) =>
          html`<li>
            ${text.html('account.allowed_since', { client: html`<strong>${consent.clientId}</strong>`, scopes: scopeList(consent.scope).join(', '), since: when(consent.grantedAt) })}
            ${consent.resources === undefined ? '' : html`<span class="note">${text.text('account.allowed_at', { resources: consent.resources.join(', ') })}</span>`}
            <form method="post" action="/account/withdraw-consent">
              ${csrfField(view.csrf)}<input type="hidden" name="client_id" value="${consent.clientId}" /><button
                type="submit"
                class="secondary"
                aria-label="${text.text('account.withdraw_label', { client: consent.clientId })}"
              >
                ${text.text('account.withdraw')}
              </button>
            </form>
          </li>`,
      )}
    </ul>
    <p class="note">${text.text('account.withdraw_note')}</p>`;
}

function emailSection(view: AccountView) {
  const { text, email } = view;
  const shown = email
    ? html`<p>${text.html(email.verified ? 'account.email_verified' : 'account.email_unverified', { address: html`<strong>${email.address}</strong>` })}</p>`
    : html`<p class="note">${text.text('account.email_none')}</p>`;
  if (!view.mailEnabled) return shown;
  const resend =
    email && !email.verified
      ? html`<form method="post" action="/account/send-verification">
          ${csrfField(view.csrf)}<button type="submit" class="secondary">${text.text('account.send_verification')}</button>
        </form>`
      : '';
  return html`${shown}${resend}
    <h3>${text.text(email ? 'account.change_email' : 'account.set_email')}</h3>
    <form method="post" action="/account/change-email">
      ${csrfField(view.csrf)}
      <label for="new_email">${text.text('account.new_email')}</label>
      <input type="email" id="new_email" name="new_email" autocomplete="email" required maxlength="254" aria-describedby="change-email-note" />
      ${currentPassword(view, 'email_password')}
      <button type="submit">${text.text('account.send_verification')}</button>
    </form>
    <p class="note" id="change-email-note">${text.text('account.change_email_note')}</p>`;
}

/** A form that re-asks the current password, under a heading-less button. */
function passwordForm(view: AccountView, action: string, id: string, button: string, secondary = false) {
  return html`<form method="post" action="${action}">
    ${csrfField(view.csrf)} ${currentPassword(view, id)}
    <button type="submit" class="${secondary ? 'secondary' : ''}">${button}</button>
  </form>`;
}

/** Whether, and how, a password sign-in asks for more; the authenticator app; the recovery codes. */
function twoStepSection(view: AccountView) {
  const { text, factors } = view;
  const on = factors.totp !== undefined || factors.passkeys.length > 0;
  const status = on
    ? html`<p>${text.text('account.two_step_on', { count: String(factors.recoveryCodesLeft) })}</p>
        <p class="note">${text.text('account.two_step_password_note')}</p>`
    : html`<p>${text.text('account.two_step_off')}</p>`;
  const app = factors.totp
    ? html`<p>${text.text('account.app_on', { since: when(factors.totp.createdAt) })}</p>
        <h3>${text.text('account.two_step_remove')}</h3>
        ${passwordForm(view, '/account/two-step/remove', 'two_step_remove_password', text.text('account.two_step_remove'), true)}`
    : html`<h3>${text.text('account.two_step_setup')}</h3>
        ${passwordForm(view, '/account/two-step/setup', 'two_step_setup_password', text.text('account.two_step_setup'))}`;
  const codes = on
    ? html`<h3>${text.text('account.two_step_new_codes')}</h3>
        ${passwordForm(view, '/account/two-step/recovery-codes', 'two_step_codes_password', text.text('account.two_step_new_codes'), true)}`
    : '';
  return html`${status}${passkeysSection(view)}${app}${codes}`;
}

/** One passkey: its name and dates, a rename form, and a remove form that re-asks the password. */
function passkeyItem(view: AccountView, passkey: PasskeyView, index: number) {
  const { text } = view;
  const used = passkey.lastUsedAt === 0 ? text.text('account.passkey_never') : when(passkey.lastUsedAt);
  const values = { name: passkey.name, since: when(passkey.createdAt), used };
  return html`<li>
    <p>${text.text(passkey.synced ? 'account.passkey_item_synced' : 'account.passkey_item', values)}</p>
    <form method="post" action="/account/passkeys/rename">
      ${csrfField(view.csrf)}<input type="hidden" name="id" value="${passkey.id}" />
      <label for="passkey_name_${index}">${text.text('account.passkey_rename_label', { name: passkey.name })}</label>
      <input type="text" id="passkey_name_${index}" name="name" value="${passkey.name}" required maxlength="${PASSKEY_NAME_MAX_LENGTH}" />
      <button type="submit" class="secondary">${text.text('account.passkey_rename')}</button>
    </form>
    <form method="post" action="/account/passkeys/remove">
      ${csrfField(view.csrf)}<input type="hidden" name="id" value="${passkey.id}" />
      ${currentPassword(view, `passkey_remove_${index}`)}
      <button type="submit" class="secondary" aria-label="${text.text('account.passkey_remove_label', { name: passkey.name })}">
        ${text.text('account.passkey_remove')}
      </button>
    </form>
  </li>`;
}

/** The passkeys: each with rename and remove, and "Add a passkey" (a name and the current password, then the device). */
function passkeysSection(view: AccountView) {
  const { text, factors } = view;
  if (!view.passkeysEnabled)
    return html`<h3>${text.text('account.passkeys')}</h3>
      <p class="note">${text.text('account.passkeys_off')}</p>`;
  const list =
    factors.passkeys.length === 0
      ? html`<p class="note">${text.text('account.passkeys_none')}</p>`
      : html`<ul class="passkeys">
          ${factors.passkeys.map((passkey, index) => passkeyItem(view, passkey, index))}
        </ul>`;
  const inputs = html`<label for="passkey_name">${text.text('account.passkey_name')}</label>
    <input type="text" id="passkey_name" name="name" required maxlength="${PASSKEY_NAME_MAX_LENGTH}" aria-describedby="passkey-name-note" />
    <p class="note" id="passkey-name-note">${text.text('account.passkey_name_note')}</p>
    ${currentPassword(view, 'passkey_password')}`;
  return html`<h3>${text.text('account.passkeys')}</h3>
    ${list}
    ${passkeyForm({
      ceremony: 'add',
      action: '/account/passkeys/add',
      options: '/account/passkeys/options',
      csrf: view.csrf,
      inputs,
      fields: ['name', 'current_password'],
      button: text.text('account.passkey_add'),
      failed: text.text('account.passkey_refused'),
    })}
    <noscript><p class="note">${text.text('account.passkey_needs_script')}</p></noscript>
    <p class="note">${text.text('account.passkey_add_note')}</p>`;
}

/** The providers linked to the account (each with Unlink), and a Link form per provider it could link. */
function providersSection(view: AccountView) {
  const { text, providers } = view;
  if (providers.linked.length === 0 && providers.offered.length === 0) return '';
  const linked =
    providers.linked.length === 0
      ? html`<p class="note">${text.text('account.providers_none')}</p>`
      : html`<ul class="providers">
          ${providers.linked.map(
            (link) =>
              html`<li>
                <p>${text.text(link.offered ? 'account.provider_item' : 'account.provider_item_gone', { name: link.name, since: when(link.linkedAt) })}</p>
                <form method="post" action="/account/providers/unlink">
                  ${csrfField(view.csrf)}<input type="hidden" name="provider" value="${link.providerId}" />
                  <button type="submit" class="secondary" aria-label="${text.text('account.provider_unlink_label', { name: link.name })}">
                    ${text.text('account.provider_unlink')}
                  </button>
                </form>
              </li>`,
          )}
        </ul>`;
  const link = providers.offered.map(
    (provider, index) =>
      html`<form method="post" action="/account/providers/link">
        ${csrfField(view.csrf)}<input type="hidden" name="provider" value="${provider.id}" />
        ${currentPassword(view, `provider_password_${index}`)}
        <button type="submit">${text.text('account.provider_link', { name: provider.name })}</button>
      </form>`,
  );
  return html`<h2>${text.text('account.providers')}</h2>
    ${linked}${link} ${providers.offered.length === 0 ? '' : html`<p class="note">${text.text('account.provider_link_note')}</p>`}`;
}

/** With MFA=required: what the person must do before an application gets a code, or the way back to it once done. */
function policyNotice(view: AccountView) {
  if (view.mfaPolicy !== 'required') return '';
  const { text, factors } = view;
  if (factors.totp === undefined && factors.passkeys.length === 0) {
    return html`<p class="message" role="alert">${text.text('account.mfa_required')}</p>`;
  }
  if (view.continueTo === undefined) return '';
  return html`<p><a href="${view.continueTo}">${text.text('account.continue')}</a></p>`;
}

/** The signed-in person's account page: profile, sessions, the applications they allowed, password, sign-out. */
export function accountPage(view: AccountView): Page {
  const { text } = view;
  return {
    title: text.text('account.title'),
    lang: text.lang,
    wide: true,
    passkeys: view.passkeysEnabled,
    formTargets: view.formTargets,
    body: html`${view.message ? html`<p class="${view.message.problem ? 'message' : 'note'}" role="${view.message.problem ? 'alert' : 'status'}">${view.message.text}</p>` : ''}
      ${policyNotice(view)}
      <p>${text.html('account.signed_in_as', { username: html`<strong>${view.username}</strong>` })}</p>
      <form method="post" action="/logout">${csrfField(view.csrf)}<button type="submit" class="secondary">${text.text('account.sign_out')}</button></form>
      <h2>${text.text('account.email')}</h2>
      ${emailSection(view)}
      ${
        view.mfaPolicy === 'off'
          ? ''
          : html`<h2>${text.text('account.two_step')}</h2>
              ${twoStepSection(view)}`
      }
      ${providersSection(view)}
      <h2>${text.text('account.sessions')}</h2>
      ${sessionsTable(view)}
      <form method="post" action="/account/end-other-sessions">
        ${csrfField(view.csrf)}<button type="submit" class="secondary">${text.text('account.end_others')}</button>
      </form>
      <h2>${text.text('account.allowed')}</h2>
      ${consentsList(view)}
      <h2>${text.text(view.hasPassword ? 'account.change_password' : 'account.set_password')}</h2>
      <form method="post" action="/account/change-password">
        ${csrfField(view.csrf)} ${currentPassword(view, 'current_password')}
        <label for="new_password">${text.text('account.new_password')}</label>
        <input type="password" id="new_password" name="new_password" autocomplete="new-password" required minlength="8" maxlength="1024" />
        <button type="submit">${text.text(view.hasPassword ? 'account.change_password' : 'account.set_password')}</button>
      </form>
      <p class="note">${text.text(view.hasPassword ? 'account.change_password_note' : 'account.set_password_note')}</p>`,
  };
}
