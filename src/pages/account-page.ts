import { html } from './html.js';
import type { Page } from './layout.js';

/** What the account page shows. */
export interface AccountView {
  username: string;
  csrf: string;
}

/** The signed-in person's account page: who they are, and signing out. */
export function accountPage(view: AccountView): Page {
  return {
    title: 'Your account',
    body: html`<p>You are signed in as <strong>${view.username}</strong>.</p>
      <form method="post" action="/logout">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <button type="submit" class="secondary">Sign out</button>
      </form>`,
  };
}
