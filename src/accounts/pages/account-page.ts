import type { ConsentRecord, SessionRecord } from '../../store/types.js';
import { scopeList } from '../../tokens/scope.js';
import { html } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';

/** What the account page shows. */
export interface AccountView {
  username: string;
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

function sessionsTable(view: AccountView) {
  if (view.sessions.length === 0) return html`<p class="note">No application holds a session of yours.</p>`;
  // At 375 px the table scrolls inside its own region (focusable, so a keyboard can scroll it), never the page.
  return html`<div class="table-scroll" role="region" aria-label="Your sessions" tabindex="0">
    <table>
      <caption class="note">
        Applications that hold tokens of yours
      </caption>
      <thead>
        <tr>
          <th scope="col">Application</th>
          <th scope="col">Device</th>
          <th scope="col">IP</th>
          <th scope="col">Started</th>
          <th scope="col">Last used</th>
          <th scope="col"><span class="note">Action</span></th>
        </tr>
      </thead>
      <tbody>
        ${view.sessions.map(
          (session) =>
            html`<tr>
              <td>${session.clientId}${session.signInId === view.signInId ? html` <strong>(this browser)</strong>` : ''}</td>
              <td>${session.userAgent || 'unknown'}</td>
              <td>${session.ip}</td>
              <td>${when(session.createdAt)}</td>
              <td>${when(session.lastUsedAt)}</td>
              <td>
                <form method="post" action="/account/end-session">
                  ${csrfField(view.csrf)}<input type="hidden" name="sid" value="${session.sid}" /><button
                    type="submit"
                    class="secondary"
                    aria-label="End the session of ${session.clientId} started ${when(session.createdAt)}"
                  >
                    End
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
  if (view.consents.length === 0) return html`<p class="note">You have not allowed any other application.</p>`;
  return html`<ul>
      ${view.consents.map(
        (consent) =>
          html`<li>
            <strong>${consent.clientId}</strong>: ${scopeList(consent.scope).join(', ')} (since ${when(consent.grantedAt)})
            <form method="post" action="/account/withdraw-consent">
              ${csrfField(view.csrf)}<input type="hidden" name="client_id" value="${consent.clientId}" /><button
                type="submit"
                class="secondary"
                aria-label="Withdraw what you allowed ${consent.clientId} and end its sessions"
              >
                Withdraw
              </button>
            </form>
          </li>`,
      )}
    </ul>
    <p class="note">Withdrawing also signs that application out: its sessions end now, and it must ask you again.</p>`;
}

/** The signed-in person's account page: profile, sessions, the applications they allowed, password, sign-out. */
export function accountPage(view: AccountView): Page {
  return {
    title: 'Your account',
    wide: true,
    body: html`${view.message ? html`<p class="${view.message.problem ? 'message' : 'note'}" role="${view.message.problem ? 'alert' : 'status'}">${view.message.text}</p>` : ''}
      <p>You are signed in as <strong>${view.username}</strong>.</p>
      <form method="post" action="/logout">${csrfField(view.csrf)}<button type="submit" class="secondary">Sign out</button></form>
      <h2>Sessions</h2>
      ${sessionsTable(view)}
      <form method="post" action="/account/end-other-sessions">
        ${csrfField(view.csrf)}<button type="submit" class="secondary">End all other sessions</button>
      </form>
      <h2>Applications you allowed</h2>
      ${consentsList(view)}
      <h2>Change password</h2>
      <form method="post" action="/account/change-password">
        ${csrfField(view.csrf)}
        <label for="current_password">Current password</label>
        <input type="password" id="current_password" name="current_password" autocomplete="current-password" required maxlength="1024" />
        <label for="new_password">New password</label>
        <input type="password" id="new_password" name="new_password" autocomplete="new-password" required minlength="8" maxlength="1024" />
        <button type="submit">Change password</button>
      </form>
      <p class="note">Changing the password ends every other session and signs every other browser out.</p>`,
  };
}
