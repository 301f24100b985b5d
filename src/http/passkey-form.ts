import { html, type SafeHtml } from './html.js';

/** A form the passkey script drives (passkey-script.ts): where it gets its challenge and where it posts the answer. */
export interface PasskeyForm {
  /** The ceremony: `add` creates a passkey, the others sign in with one. */
  ceremony: 'add' | 'sign-in' | 'second-step';
  /** Where the answer is posted (as a form, in the hidden `credential` field). */
  action: string;
  /** Where the challenge is asked for (JSON, with the CSRF token and `fields`). */
  options: string;
  csrf: string;
  /** Hidden fields the answer carries on (`return_to`). */
  hidden?: Readonly<Record<string, string>>;
  /** The form's own inputs, sent with the challenge request too. */
  inputs?: SafeHtml;
  /** The names of those inputs. */
  fields?: readonly string[];
  button: string;
  /** What the form says when the browser or the service refuses. */
  failed: string;
  /** Whether the browser's passkey autofill is offered on the page's username field (conditional mediation). */
  conditional?: boolean;
  secondary?: boolean;
}

/**
 * A passkey form: hidden until the script finds WebAuthn in the browser (a page without JavaScript shows none), with a
 * live region for what went wrong.
 */
export function passkeyForm(form: PasskeyForm): SafeHtml {
  return html`<form
    method="post"
    action="${form.action}"
    data-passkey="${form.ceremony}"
    data-passkey-options="${form.options}"
    data-passkey-fields="${(form.fields ?? []).join(' ')}"
    data-passkey-failed="${form.failed}"
    ${form.conditional ? 'data-passkey-conditional' : ''}
    hidden
  >
    <input type="hidden" name="csrf" value="${form.csrf}" />
    ${Object.entries(form.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
    <input type="hidden" name="credential" value="" />
    ${form.inputs ?? ''}
    <p class="message" role="alert" data-passkey-message hidden></p>
    <button type="submit" class="${form.secondary ? 'secondary' : ''}">${form.button}</button>
  </form>`;
}
