import { html } from '../../http/html.js';
import type { Page } from '../../http/page-layout.js';
import type { PageText } from '../../http/page-text.js';
import type { ClientDisplay } from '../../clients/client-display.js';
import { passkeyForm } from '../../http/passkey-form.js';

/** What the login and registration pages show. */
export interface LoginView {
  /** The words of the pages, in the person's language. */
  text: PageText;
  csrf: string;
  /** Where a successful sign-in continues (an authorization request), or undefined for the account page. */
  returnTo: string | undefined;
  username?: string;
  /** A problem to show above the form (wrong credentials, a wait, an outage). */
  message?: string;
  formTargets?: readonly string[];
  /** Whether the login page offers registration (REGISTRATION=open). */
  registration?: boolean;
  /** Whether the login page offers a password reset (mail is on). */
  passwordReset?: boolean;
  /** Whether the registration page asks for an address (REGISTRATION_EMAIL), and what was typed. */
  email?: { ask: 'optional' | 'required' | 'off'; value?: string };
  /** Whether the login page offers passkeys: a button, and the browser's autofill on the username field. */
  passkeys?: boolean;
  /** The upstream providers the login page offers ("Continue with …"), each with its icon (an https URL) if it has one. */
  providers?: ReadonlyArray<{ id: string; name: string; icon: string | undefined }>;
}

/** A provider's icon beside its name: decorative (the name says it all), from its own https URL. */
function providerIcon(icon: string | undefined) {
  return icon === undefined ? '' : html`<img src="${icon}" alt="" width="20" height="20" />`;
}

/**
 * The login page: labelled Username and Password fields and a Sign in button, which work without JavaScript; with
 * passkeys, a "Sign in with a passkey" button and the browser's passkey autofill (the passkey script).
 */
export function loginPage(view: LoginView): Page {
  const { text } = view;
  const register = `/register${view.returnTo === undefined ? '' : `?${new URLSearchParams({ return_to: view.returnTo })}`}`;
  const passkey = view.passkeys
    ? passkeyForm({
        ceremony: 'sign-in',
        action: '/login/passkey',
        options: '/login/passkey/options',
        csrf: view.csrf,
        hidden: view.returnTo === undefined ? {} : { return_to: view.returnTo },
        button: text.text('login.passkey'),
        failed: text.text('passkey.failed'),
        conditional: true,
        secondary: true,
      })
    : '';
  const query = view.returnTo === undefined ? '' : `?${new URLSearchParams({ return_to: view.returnTo })}`;
  const providers =
    view.providers && view.providers.length > 0
      ? html`<ul class="providers">
          ${view.providers.map(
            (provider) =>
              html`<li>
                <a href="/login/${provider.id}${query}">${providerIcon(provider.icon)}${text.text('login.continue_with', { provider: provider.name })}</a>
              </li>`,
          )}
        </ul>`
      : '';
  const footer = html`${passkey}${providers}${view.passwordReset ? html`<p class="note"><a href="/forgot-password">${text.text('login.forgot_link')}</a></p>` : ''}
  ${view.registration ? html`<p class="note">${text.html('login.no_account', { link: html`<a href="${register}">${text.text('login.create_link')}</a>` })}</p>` : ''}`;
  const page = credentialsPage(
    view,
    {
      title: text.text('login.title'),
      action: '/login',
      button: text.text('login.button'),
      passwordAutocomplete: 'current-password',
      usernameAutocomplete: view.passkeys ? 'username webauthn' : 'username',
    },
    footer,
  );
  // The providers' icons come from their own origins, which CSP img-src must allow.
  const icons = (view.providers ?? []).flatMap((provider) => (provider.icon === undefined ? [] : [new URL(provider.icon).origin]));
  const withIcons = icons.length === 0 ? page : { ...page, imageSources: [...new Set([...(page.imageSources ?? []), ...icons])] };
  return view.passkeys ? { ...withIcons, passkeys: true } : withIcons;
}

/** The registration page: the same two fields, and a Create account button. */
export function registrationPage(view: LoginView): Page {
  const { text } = view;
  const footer = html`<p class="note">${text.text('register.password_rule')}</p>`;
  return credentialsPage(
    view,
    {
      title: text.text('register.title'),
      action: '/register',
      button: text.text('register.button'),
      passwordAutocomplete: 'new-password',
      usernameAutocomplete: 'username',
    },
    footer,
  );
}

/** The registration page's address field, unless REGISTRATION_EMAIL=off. */
function emailField(view: LoginView) {
  const email = view.email;
  if (!email || email.ask === 'off') return '';
  const note = view.text.text(email.ask === 'required' ? 'register.email_note' : 'register.email_optional');
  return html`<label for="email">${view.text.text('field.email')}</label>
    <input
      type="email"
      id="email"
      name="email"
      autocomplete="email"
      autocapitalize="none"
      spellcheck="false"
      maxlength="254"
      aria-describedby="email-note"
      ${email.ask === 'required' ? 'required' : ''}
      value="${email.value ?? ''}"
    />
    <p class="note" id="email-note">${note}</p>`;
}

/** A form of a username and a password, posted to `action`. */
function credentialsPage(
  view: LoginView,
  form: { title: string; action: string; button: string; passwordAutocomplete: string; usernameAutocomplete: string },
  footer: unknown,
): Page {
  return {
    title: form.title,
    lang: view.text.lang,
    formTargets: view.formTargets ?? [],
    body: html`${view.message ? html`<p class="message" role="alert">${view.message}</p>` : ''}
      <form method="post" action="${form.action}">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        ${view.returnTo === undefined ? '' : html`<input type="hidden" name="return_to" value="${view.returnTo}" />`}
        <label for="username">${view.text.text('field.username')}</label>
        <input
          type="text"
          id="username"
          name="username"
          autocomplete="${form.usernameAutocomplete}"
          autocapitalize="none"
          spellcheck="false"
          required
          maxlength="64"
          value="${view.username ?? ''}"
        />
        ${form.action === '/register' ? emailField(view) : ''}
        <label for="password">${view.text.text('field.password')}</label>
        <input type="password" id="password" name="password" autocomplete="${form.passwordAutocomplete}" required maxlength="1024" />
        <button type="submit">${form.button}</button>
      </form>
      ${footer}`,
  };
}

/** What a person is asked to allow, in words: the scopes the pages name, each by its message. */
const SCOPE_WORDS: Readonly<Record<string, 'scope.openid' | 'scope.profile' | 'scope.email'>> = {
  openid: 'scope.openid',
  profile: 'scope.profile',
  email: 'scope.email',
};

/** The scopes a client asks for, as a list of what each lets it do. */
function askedScopes(scopes: readonly string[], text: PageText) {
  return html`<ul class="scopes">
    ${scopes.map((scope) => {
      const words = SCOPE_WORDS[scope];
      return html`<li>${words === undefined ? text.html('scope.other', { scope: html`<code>${scope}</code>` }) : text.text(words)}</li>`;
    })}
  </ul>`;
}

/** The client by its name with its client_id beside it, or by its client_id alone. */
function clientNamed(clientId: string, display: ClientDisplay) {
  const name = display.name ?? clientId;
  return html`<strong>${name}</strong>${display.name === undefined ? '' : html` <span class="note">(${clientId})</span>`}`;
}

/** What a client asks a person for, as a page shows it: the client, its scopes, and the resource if it names one. */
export interface ClientRequestView {
  clientId: string;
  /** How the client presents itself (RFC 7591 metadata); its name falls back to the client_id. */
  display: ClientDisplay;
  scopes: readonly string[];
  /** The resource the tokens are meant for (RFC 8707), when the request names one: its name, else its identifier. */
  resource: { identifier: string; name: string | undefined } | undefined;
}

/** The client as it presents itself (logo, name) asking for each scope, and the resource its tokens are for. */
export function clientRequest(view: ClientRequestView, text: PageText, asks: 'consent.asks' | 'device.asks') {
  return html`<div class="client">
      ${view.display.logoUri === undefined ? '' : html`<img src="${view.display.logoUri}" alt="" referrerpolicy="no-referrer" />`}
      <p>${text.html(asks, { name: clientNamed(view.clientId, view.display) })}</p>
    </div>
    ${askedScopes(view.scopes, text)}
    ${view.resource === undefined ? '' : html`<p>${text.html('consent.resource', { resource: resourceNamed(view.resource) })}</p>`}`;
}

/** The form that answers a client's request: Allow or Deny as `decision`, with the CSRF token and what names the request. */
export function allowOrDeny(action: string, csrf: string, hidden: Readonly<Record<string, string>>, text: PageText) {
  return html`<form method="post" action="${action}">
    <input type="hidden" name="csrf" value="${csrf}" />
    ${Object.entries(hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
    <div class="actions">
      <button type="submit" name="decision" value="allow">${text.text('consent.allow')}</button>
      <button type="submit" name="decision" value="deny" class="secondary">${text.text('consent.deny')}</button>
    </div>
  </form>`;
}

/** Where a page may load the client's logo from: its origin, when it has one. */
export function logoSources(display: ClientDisplay): string[] {
  return display.logoUri === undefined ? [] : [new URL(display.logoUri).origin];
}

/** What the consent page shows. */
export interface ConsentView extends ClientRequestView {
  text: PageText;
  /** Where the browser goes back to: the redirect URI's host (or its scheme, for a native app). */
  returnsTo: string;
  csrf: string;
  /** The authorization request's query string, sent back with the decision. */
  request: string;
  formTargets: readonly string[];
}

/** A resource by its name with its identifier beside it, or by its identifier alone. */
function resourceNamed(resource: { identifier: string; name: string | undefined }) {
  if (resource.name === undefined) return html`<strong>${resource.identifier}</strong>`;
  return html`<strong>${resource.name}</strong> <span class="note">(${resource.identifier})</span>`;
}

/** The client's links a person may want to read before allowing it: its home page, privacy policy and terms. */
export function clientLinks(display: ClientDisplay, text: PageText) {
  const links = [
    display.clientUri && html`<a href="${display.clientUri}" rel="noopener noreferrer">${text.text('consent.about')}</a>`,
    display.policyUri && html`<a href="${display.policyUri}" rel="noopener noreferrer">${text.text('consent.privacy')}</a>`,
    display.tosUri && html`<a href="${display.tosUri}" rel="noopener noreferrer">${text.text('consent.terms')}</a>`,
  ].filter(Boolean);
  return links.length === 0 ? '' : html`<p class="links">${links}</p>`;
}

/**
 * The consent page: the client as it presents itself (its name, else its client_id; its logo; where the browser will
 * return, so a look-alike name cannot hide another destination), each scope by name, with Allow and Deny.
 */
export function consentPage(view: ConsentView): Page {
  const { text } = view;
  return {
    title: text.text('consent.title'),
    lang: text.lang,
    formTargets: view.formTargets,
    imageSources: logoSources(view.display),
    body: html`${clientRequest(view, text, 'consent.asks')} ${allowOrDeny('/oauth/authorize', view.csrf, { authorization_request: view.request }, text)}
      <p class="note">${text.html('consent.returns_to', { host: html`<strong>${view.returnsTo}</strong>` })}</p>
      ${clientLinks(view.display, text)}`,
  };
}

/** What the sign-out confirmation shows. */
export interface SignOutView {
  text: PageText;
  csrf: string;
  /** The end-session request's parameters, sent back with the confirmation. */
  hidden: Readonly<Record<string, string>>;
  formTargets: readonly string[];
}

/** Asks before signing out when the request cannot prove it comes from an application of this person (no id_token_hint). */
export function confirmSignOutPage(view: SignOutView): Page {
  const { text } = view;
  return {
    title: text.text('sign_out.title'),
    lang: text.lang,
    formTargets: view.formTargets,
    body: html`<p>${text.text('sign_out.text')}</p>
      <form method="post" action="/oauth/end-session">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        ${Object.entries(view.hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
        <div class="actions">
          <button type="submit">${text.text('sign_out.button')}</button>
        </div>
      </form>`,
  };
}

/** Shown after signing out when no application named where to go next. */
export function signedOutPage(text: PageText): Page {
  return {
    title: text.text('signed_out.title'),
    lang: text.lang,
    body: html`<p>${text.text('signed_out.text')}</p>
      <p><a href="/login">${text.text('signed_out.again')}</a></p>`,
  };
}

/** After a registration that must confirm its address before signing in (SIGN_IN_REQUIRES_VERIFIED_EMAIL). */
export function checkMailPage(text: PageText, address: string): Page {
  return {
    title: text.text('register.verify_title'),
    lang: text.lang,
    body: html`<p role="status">${text.html('register.verify_text', { address: html`<strong>${address}</strong>` })}</p>
      <p><a href="/login">${text.text('signed_out.again')}</a></p>`,
  };
}
