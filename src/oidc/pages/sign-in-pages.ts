import { html } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';
import type { ClientDisplay } from '../../clients/client-display.js';

/** What the login and registration pages show. */
export interface LoginView {
  csrf: string;
  /** Where a successful sign-in continues (an authorization request), or undefined for the account page. */
  returnTo: string | undefined;
  username?: string;
  /** A problem to show above the form (wrong credentials, a wait, an outage). */
  message?: string;
  formTargets?: readonly string[];
  /** Whether the login page offers registration (REGISTRATION=open). */
  registration?: boolean;
}

/** The login page: labelled Username and Password fields and a Sign in button; works without JavaScript. */
export function loginPage(view: LoginView): Page {
  const register = `/register${view.returnTo === undefined ? '' : `?${new URLSearchParams({ return_to: view.returnTo })}`}`;
  const footer = view.registration ? html`<p class="note">No account yet? <a href="${register}">Create one</a>.</p>` : '';
  return credentialsPage(view, { title: 'Sign in', action: '/login', button: 'Sign in', passwordAutocomplete: 'current-password' }, footer);
}

/** The registration page: the same two fields, and a Create account button. */
export function registrationPage(view: LoginView): Page {
  const footer = html`<p class="note">Passwords need at least 8 characters.</p>`;
  return credentialsPage(view, { title: 'Create an account', action: '/register', button: 'Create account', passwordAutocomplete: 'new-password' }, footer);
}

/** A form of a username and a password, posted to `action`. */
function credentialsPage(view: LoginView, form: { title: string; action: string; button: string; passwordAutocomplete: string }, footer: unknown): Page {
  return {
    title: form.title,
    formTargets: view.formTargets ?? [],
    body: html`${view.message ? html`<p class="message" role="alert">${view.message}</p>` : ''}
      <form method="post" action="${form.action}">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        ${view.returnTo === undefined ? '' : html`<input type="hidden" name="return_to" value="${view.returnTo}" />`}
        <label for="username">Username</label>
        <input
          type="text"
          id="username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          maxlength="64"
          value="${view.username ?? ''}"
        />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="${form.passwordAutocomplete}" required maxlength="1024" />
        <button type="submit">${form.button}</button>
      </form>
      ${footer}`,
  };
}

/** What a person is asked to allow, in words. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Know which account you signed in with',
  profile: 'See your username',
  email: 'See your email address',
};

/** What the consent page shows. */
export interface ConsentView {
  clientId: string;
  /** How the client presents itself (RFC 7591 metadata); its name falls back to the client_id. */
  display: ClientDisplay;
  /** Where the browser goes back to: the redirect URI's host (or its scheme, for a native app). */
  returnsTo: string;
  scopes: readonly string[];
  csrf: string;
  /** The authorization request's query string, sent back with the decision. */
  request: string;
  formTargets: readonly string[];
}

/** The client's links a person may want to read before allowing it: its home page, privacy policy and terms. */
function clientLinks(display: ClientDisplay) {
  const links = [
    display.clientUri && html`<a href="${display.clientUri}" rel="noopener noreferrer">About the application</a>`,
    display.policyUri && html`<a href="${display.policyUri}" rel="noopener noreferrer">Privacy policy</a>`,
    display.tosUri && html`<a href="${display.tosUri}" rel="noopener noreferrer">Terms of service</a>`,
  ].filter(Boolean);
  return links.length === 0 ? '' : html`<p class="links">${links}</p>`;
}

/**
 * The consent page: the client as it presents itself (its name, else its client_id; its logo; where the browser will
 * return, so a look-alike name cannot hide another destination), each scope by name, with Allow and Deny.
 */
export function consentPage(view: ConsentView): Page {
  const name = view.display.name ?? view.clientId;
  return {
    title: 'Allow access?',
    formTargets: view.formTargets,
    imageSources: view.display.logoUri === undefined ? [] : [new URL(view.display.logoUri).origin],
    body: html`<div class="client">
        ${view.display.logoUri === undefined ? '' : html`<img src="${view.display.logoUri}" alt="" referrerpolicy="no-referrer" />`}
        <p>The application <strong>${name}</strong>${view.display.name === undefined ? '' : html` <span class="note">(${view.clientId})</span>`} asks to:</p>
      </div>
      <ul class="scopes">
        ${view.scopes.map((scope) => html`<li>${SCOPE_WORDS[scope] ?? html`Use the API with the permission <code>${scope}</code>`}</li>`)}
      </ul>
      <form method="post" action="/oauth/authorize">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <input type="hidden" name="authorization_request" value="${view.request}" />
        <div class="actions">
          <button type="submit" name="decision" value="allow">Allow</button>
          <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
        </div>
      </form>
      <p class="note">If you allow it, you return to <strong>${view.returnsTo}</strong>. You can withdraw this later from your account page.</p>
      ${clientLinks(view.display)}`,
  };
}

/** What the sign-out confirmation shows. */
export interface SignOutView {
  csrf: string;
  /** The end-session request's parameters, sent back with the confirmation. */
  hidden: Readonly<Record<string, string>>;
  formTargets: readonly string[];
}

/** Asks before signing out when the request cannot prove it comes from an application of this person (no id_token_hint). */
export function confirmSignOutPage(view: SignOutView): Page {
  return {
    title: 'Sign out?',
    formTargets: view.formTargets,
    body: html`<p>An application asks to sign you out of this service and of the applications you signed in to through it.</p>
      <form method="post" action="/oauth/end-session">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        ${Object.entries(view.hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
        <div class="actions">
          <button type="submit">Sign out</button>
        </div>
      </form>`,
  };
}

/** Shown after signing out when no application named where to go next. */
export function signedOutPage(): Page {
  return {
    title: 'Signed out',
    body: html`<p>You are signed out.</p>
      <p><a href="/login">Sign in again</a></p>`,
  };
}
