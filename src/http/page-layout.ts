import { html, type SafeHtml } from './html.js';
import { LOGO_PATH, NO_BRANDING, OPERATOR_STYLESHEET_PATH, type PageBranding } from './page-branding.js';
import { PASSKEY_SCRIPT_PATH } from './passkey-script.js';

/** The pages' stylesheet, served at STYLESHEET_PATH: no inline style, so the CSP needs no 'unsafe-inline'. */
export const STYLESHEET = `
:root { color-scheme: light; font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; background: #f4f5f7; }
body { margin: 0; }
main { max-width: 26rem; margin: 3rem auto; padding: 2rem; background: #fff; border: 1px solid #c9ccd1; border-radius: 8px; }
main.wide { max-width: 44rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text], input[type=password], input[type=email] { width: 100%; box-sizing: border-box; padding: .55rem; font-size: 1rem; border: 1px solid #6b6f76; border-radius: 4px; }
button { margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; border-radius: 4px; border: 1px solid #0b4fa8; background: #0b57d0; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #0b4fa8; }
button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid #e8710a; outline-offset: 2px; }
.message { padding: .75rem; border-radius: 4px; border: 1px solid #b3261e; background: #fce8e6; color: #8c1d18; }
.note { color: #45484d; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .4rem; border-bottom: 1px solid #dadce0; vertical-align: top; }
ul.scopes { padding-left: 1.25rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
.qr svg { display: block; width: 12rem; height: 12rem; margin: .5rem 0; }
ul.codes { columns: 2; padding-left: 1.25rem; font-size: 1.05rem; }
.table-scroll { overflow-x: auto; }
.brand { display: flex; align-items: center; gap: .6rem; margin: 0 0 1.25rem; font-weight: 600; font-size: 1.1rem; }
.brand img { max-height: 2.5rem; max-width: 10rem; }
.client { display: flex; align-items: center; gap: .75rem; }
.client img { width: 3rem; height: 3rem; object-fit: contain; }
.links { display: flex; gap: 1rem; flex-wrap: wrap; font-size: .95rem; }
ul.providers { list-style: none; padding: 0; margin: 1.25rem 0 0; }
ul.providers img { vertical-align: middle; margin-right: .5rem; }
ul.providers a { display: block; padding: .6rem 1.2rem; border: 1px solid #0b4fa8; border-radius: 4px; color: #0b4fa8; text-decoration: none; margin-top: .5rem; }
@media (max-width: 30rem) { main, main.wide { margin: 0; border: 0; border-radius: 0; padding: 1.25rem; } }
`;

/** Where the stylesheet is served. */
export const STYLESHEET_PATH = '/assets/pages.css';

/** A server-rendered page: its title, its main content, and where its forms may lead. */
export interface Page {
  title: string;
  body: SafeHtml;
  /** Origins (or schemes) a form submission may end up at after redirects, beside this service. */
  formTargets?: readonly string[];
  /** The language the page speaks (`<html lang>`); English when unset. */
  lang?: string;
  /** Origins images may come from, beside this service (a client's logo on the consent page). */
  imageSources?: readonly string[];
  wide?: boolean;
  /** Whether the page runs the passkey script (PASSKEY_SCRIPT_PATH), and may fetch from this service. */
  passkeys?: boolean;
}

/**
 * The Content-Security-Policy of a page: nothing but this service's stylesheet, no script but the passkey script on
 * the pages that use passkeys (from this origin, never inline), never framed. Chromium applies form-action to the
 * redirects that follow a form POST too, so the origin a sign-in finally redirects to (the client's redirect URI) is
 * listed beside 'self'.
 */
export function pageCsp(formTargets: readonly string[] = [], imageSources: readonly string[] = [], passkeys = false): string {
  const targets = ["'self'", ...formTargets].join(' ');
  const script = passkeys ? "script-src 'self'; connect-src 'self'; " : '';
  return `default-src 'none'; ${script}style-src 'self'; img-src ${["'self'", ...imageSources].join(' ')}; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`;
}

/** The CSP source that lets a form's redirect reach a redirect URI: its origin, or its scheme for a native app's private-use scheme. */
export function formTargetOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : url.protocol;
}

/** The whole HTML document of a page, with the operator's branding: product name and logo above it, their stylesheet after ours. */
export function renderPage(page: Page, branding: PageBranding = NO_BRANDING): string {
  const brand =
    branding.productName === undefined && branding.logo === undefined
      ? ''
      : html`<header class="brand">
          ${branding.logo === undefined ? '' : html`<img src="${LOGO_PATH}" alt="${branding.productName === undefined ? 'Logo' : ''}" />`}
          ${branding.productName === undefined ? '' : html`<span>${branding.productName}</span>`}
        </header>`;
  return html`<!doctype html>
    <html lang="${page.lang ?? 'en'}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${branding.productName === undefined ? page.title : `${page.title} · ${branding.productName}`}</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
        ${branding.stylesheet === undefined ? '' : html`<link rel="stylesheet" href="${OPERATOR_STYLESHEET_PATH}" />`}
        ${page.passkeys ? html`<script src="${PASSKEY_SCRIPT_PATH}" defer></script>` : ''}
      </head>
      <body>
        <main class="${page.wide ? 'wide' : ''}">
          ${brand}
          <h1>${page.title}</h1>
          ${page.body}
        </main>
      </body>
    </html> `.value;
}

/** A refused request the service cannot send back to the application (RFC 6749 §4.1.2.1), or a failure. */
export function problemPage(title: string, description: string, lang?: string): Page {
  return { title, ...(lang === undefined ? {} : { lang }), body: html`<p class="message" role="alert">${description}</p>` };
}
